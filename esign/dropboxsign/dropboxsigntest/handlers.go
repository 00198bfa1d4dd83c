package dropboxsigntest

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

func (s *Server) send(w http.ResponseWriter, c call) {
	rec, err := newRequest(c.form, s.now())
	if err != nil {
		s.t.Errorf("dropboxsigntest: send: %v", err)
		s.writeError(w, c, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	s.mu.Lock()
	rec.hiddenLists = s.searchDelay
	s.requests = append(s.requests, rec)
	lose := s.loseCreates > 0
	if lose {
		s.loseCreates--
	}
	var hold chan struct{}
	if len(s.holdCreates) > 0 {
		hold, s.holdCreates = s.holdCreates[0], s.holdCreates[1:]
	}
	answer := getResponseJSON{SignatureRequest: rec.toJSON(s.URL())}
	s.mu.Unlock()
	if hold != nil {
		select { // created: the answer waits (the client may die meanwhile)
		case <-hold:
		case <-c.input.Request.Context().Done():
			return
		}
	}
	if lose {
		s.dropConnection(w)
		return
	}
	s.writeJSON(w, c, http.StatusOK, answer)
}

// dropConnection closes the connection without an answer: the request was created, and
// the client sees a transport error.
func (s *Server) dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		s.t.Errorf("dropboxsigntest: hijack to lose an answer: %v", err)
		return
	}
	_ = conn.Close()
}

// list answers GET /signature_request/list, newest first. `query` is matched as the
// stand-in's idea of Dropbox Sign's full-text search: "metadata:term" matches requests
// with a metadata value containing term (so doc_1 also finds doc_10: clients must check
// what they get), anything else the title. Requests created under SearchDelay stay out
// of the results for that many list calls.
func (s *Server) list(w http.ResponseWriter, c call) {
	page, size := intParam(c, "page", 1), intParam(c, "page_size", 20)
	q := c.query.Get("query")
	s.mu.Lock()
	var matched []signatureRequestJSON
	for _, r := range slices.Backward(s.requests) {
		if r.hiddenLists > 0 {
			r.hiddenLists--
			continue
		}
		if matches(&r.Request, q) {
			matched = append(matched, r.toJSON(s.URL()))
		}
	}
	s.mu.Unlock()
	n := len(matched)
	from, to := min((page-1)*size, n), min(page*size, n)
	out := listResponseJSON{SignatureRequests: matched[from:to], ListInfo: listInfoJSON{
		NumPages: max(1, (n+size-1)/size), NumResults: &n, Page: page, PageSize: size}}
	if out.SignatureRequests == nil {
		out.SignatureRequests = []signatureRequestJSON{}
	}
	s.writeJSON(w, c, http.StatusOK, out)
}

func intParam(c call, name string, def int) int {
	if n, err := strconv.Atoi(c.query.Get(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func matches(r *Request, query string) bool {
	if query == "" {
		return true
	}
	if term, ok := strings.CutPrefix(query, "metadata:"); ok {
		for _, v := range r.Metadata {
			if strings.Contains(v, term) {
				return true
			}
		}
		return false
	}
	return strings.Contains(strings.ToLower(r.Title), strings.ToLower(query))
}

func (s *Server) get(w http.ResponseWriter, c call) {
	s.mu.Lock()
	r := s.find(c.params["signature_request_id"])
	var answer getResponseJSON
	if r != nil {
		answer.SignatureRequest = r.toJSON(s.URL())
	}
	s.mu.Unlock()
	if r == nil {
		s.writeError(w, c, http.StatusNotFound, "not_found", "Not found")
		return
	}
	s.writeJSON(w, c, http.StatusOK, answer)
}

// cancel answers POST /signature_request/cancel/{id}. The document says only that a
// request not eligible is refused with a 4xx; the stand-in answers a second cancel 410
// "deleted" (what signers of a cancelled request get) and a cancel of a completed
// request 400 with error_name signature_request_cancel_failed. The cancel itself takes
// effect at once, where Dropbox Sign queues it.
func (s *Server) cancel(w http.ResponseWriter, c call) {
	s.mu.Lock()
	r := s.find(c.params["signature_request_id"])
	status := ""
	if r != nil {
		status = r.Status
		if status == StatusAwaiting {
			r.Status = StatusCanceled
		}
	}
	s.mu.Unlock()
	switch {
	case r == nil:
		s.writeError(w, c, http.StatusNotFound, "not_found", "Not found")
	case status == StatusCanceled:
		s.writeError(w, c, http.StatusGone, "deleted", "This resource has been deleted")
	case status == StatusComplete:
		s.writeError(w, c, http.StatusBadRequest, "signature_request_cancel_failed",
			"This signature request is already complete and cannot be canceled")
	default:
		// The document's 200 is application/json with no schema: an empty body.
		h := w.Header()
		s.rateHeaders(h)
		h.Set("Content-Type", "application/json")
		s.checkAnswer(c, http.StatusOK, h, nil)
		w.WriteHeader(http.StatusOK)
	}
}

// files answers GET /signature_request/files/{id}?file_type=pdf: the uploaded PDF, with
// signedMarker appended once every signer has signed; 409 while FilesNotReady lasts.
func (s *Server) files(w http.ResponseWriter, c call) {
	if ft := c.query.Get("file_type"); ft != "" && ft != "pdf" {
		s.t.Errorf("dropboxsigntest: files: the stand-in serves file_type=pdf only, not %q", ft)
		s.writeError(w, c, http.StatusBadRequest, "bad_request", "file_type "+ft+" is not played by the stand-in")
		return
	}
	s.mu.Lock()
	r := s.find(c.params["signature_request_id"])
	notReady := r != nil && s.filesNotReady > 0
	if notReady {
		s.filesNotReady--
	}
	var pdf []byte
	status := ""
	if r != nil {
		pdf, status = r.executed(), r.Status
	}
	s.mu.Unlock()
	switch {
	case r == nil:
		s.writeError(w, c, http.StatusNotFound, "not_found", "Not found")
	case notReady:
		s.writeError(w, c, http.StatusConflict, "conflict", "Files are still being processed. Please try again later.")
	case status == StatusCanceled:
		s.writeError(w, c, http.StatusGone, "deleted", "This resource has been deleted")
	default:
		h := w.Header()
		s.rateHeaders(h)
		h.Set("Content-Type", "application/pdf")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(pdf)
	}
}
