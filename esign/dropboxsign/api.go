package dropboxsign

import (
	"encoding/json"
	"strings"
)

// The parts of Dropbox Sign's answers we read (schemas SignatureRequestGetResponse,
// SignatureRequestListResponse, ErrorResponse of the API document).

type signatureRequest struct {
	SignatureRequestID string         `json:"signature_request_id"`
	Title              string         `json:"title"`
	Metadata           map[string]any `json:"metadata"`
	CreatedAt          int64          `json:"created_at"`
	IsComplete         bool           `json:"is_complete"`
	Signatures         []signature    `json:"signatures"`
}

type signature struct {
	SignatureID        string `json:"signature_id"`
	SignerEmailAddress string `json:"signer_email_address"`
	Order              *int   `json:"order"` // 0-based; null when the request has no order
}

type getResponse struct {
	SignatureRequest signatureRequest `json:"signature_request"`
}

type listResponse struct {
	SignatureRequests []signatureRequest `json:"signature_requests"`
	ListInfo          struct {
		NumPages int `json:"num_pages"`
		Page     int `json:"page"`
	} `json:"list_info"`
}

type apiError struct {
	ErrorMsg  string `json:"error_msg"`
	ErrorName string `json:"error_name"`
}

// decodeError reads an ErrorResponse body; ok is false when the body is not one.
func decodeError(body []byte) (apiError, bool) {
	var e struct {
		Error apiError `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || (e.Error.ErrorName == "" && e.Error.ErrorMsg == "") {
		return apiError{}, false
	}
	return e.Error, true
}

// metadataString is a metadata value as the string we sent; Dropbox Sign echoes
// metadata as JSON, so a value could come back as a number.
func metadataString(m map[string]any, key string) string {
	switch v := m[key].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		b, _ := json.Marshal(v)
		return strings.Trim(string(b), `"`)
	}
}
