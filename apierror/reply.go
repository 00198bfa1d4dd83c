package apierror

import (
	"errors"
	"fmt"
	"io"
	"net/http"
)

// ErrTooLarge is an answer over its size limit. Asking again would get the same answer.
var ErrTooLarge = errors.New("answer too large")

// Reply is an answer that arrived, whatever its status.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// OK reports a 2xx answer.
func (r Reply) OK() bool { return r.Status >= 200 && r.Status < 300 }

// Exchange sends req with hc and reads the answer, at most limit bytes of it. A nil
// error means an answer arrived, whatever its status. An answer cut short is as good as
// none; one over limit is an ErrTooLarge, with the Reply's Status and Header but no Body.
func Exchange(hc *http.Client, req *http.Request, limit int64) (Reply, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return Reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return Reply{}, err
	}
	if int64(len(b)) > limit {
		return Reply{Status: resp.StatusCode, Header: resp.Header}, fmt.Errorf("%w: over %d bytes", ErrTooLarge, limit)
	}
	return Reply{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}
