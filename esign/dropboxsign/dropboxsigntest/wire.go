package dropboxsigntest

import "time"

// The stand-in's answers, shaped like the document's schemas (SignatureRequestResponse
// and friends); every JSON answer is also checked against the document before it goes
// out. Nullable fields the stand-in has nothing for are pointers left nil: null.

type signatureRequestJSON struct {
	TestMode              bool            `json:"test_mode"`
	SignatureRequestID    string          `json:"signature_request_id"`
	RequesterEmailAddress *string         `json:"requester_email_address"`
	Title                 string          `json:"title"`
	OriginalTitle         string          `json:"original_title"`
	Subject               *string         `json:"subject"`
	Message               *string         `json:"message"`
	Metadata              map[string]any  `json:"metadata"`
	CreatedAt             int64           `json:"created_at"`
	ExpiresAt             *int64          `json:"expires_at"`
	IsComplete            bool            `json:"is_complete"`
	IsDeclined            bool            `json:"is_declined"`
	HasError              bool            `json:"has_error"`
	FilesURL              string          `json:"files_url"`
	SigningURL            *string         `json:"signing_url"`
	DetailsURL            string          `json:"details_url"`
	CCEmailAddresses      []string        `json:"cc_email_addresses"`
	SigningRedirectURL    *string         `json:"signing_redirect_url"`
	FinalCopyURI          *string         `json:"final_copy_uri"`
	TemplateIDs           []string        `json:"template_ids"`
	CustomFields          []any           `json:"custom_fields"`
	Attachments           []any           `json:"attachments"`
	ResponseData          []any           `json:"response_data"`
	Signatures            []signatureJSON `json:"signatures"`
	BulkSendJobID         *string         `json:"bulk_send_job_id"`
}

type signatureJSON struct {
	SignatureID        string  `json:"signature_id"`
	SignerGroupGUID    *string `json:"signer_group_guid"`
	SignerEmailAddress string  `json:"signer_email_address"`
	SignerName         *string `json:"signer_name"`
	SignerRole         *string `json:"signer_role"` // null: requests sent without template roles
	Order              *int    `json:"order"`
	StatusCode         string  `json:"status_code"`
	DeclineReason      *string `json:"decline_reason"`
	SignedAt           *int64  `json:"signed_at"`
	LastViewedAt       *int64  `json:"last_viewed_at"`
	LastRemindedAt     *int64  `json:"last_reminded_at"`
	HasPin             bool    `json:"has_pin"`
	HasSMSAuth         *bool   `json:"has_sms_auth"`
	HasSMSDelivery     *bool   `json:"has_sms_delivery"`
	SMSPhoneNumber     *string `json:"sms_phone_number"`
	ReassignedBy       *string `json:"reassigned_by"`
	ReassignmentReason *string `json:"reassignment_reason"`
	ReassignedFrom     *string `json:"reassigned_from"`
	Error              *string `json:"error"`
}

type getResponseJSON struct {
	SignatureRequest signatureRequestJSON `json:"signature_request"`
}

type listResponseJSON struct {
	SignatureRequests []signatureRequestJSON `json:"signature_requests"`
	ListInfo          listInfoJSON           `json:"list_info"`
}

type listInfoJSON struct {
	NumPages   int  `json:"num_pages"`
	NumResults *int `json:"num_results"`
	Page       int  `json:"page"`
	PageSize   int  `json:"page_size"`
}

type errorResponseJSON struct {
	Error errorJSON `json:"error"`
}

type errorJSON struct {
	ErrorMsg  string `json:"error_msg"`
	ErrorName string `json:"error_name"`
}

// toJSON shapes r as the API shows it; base is the stand-in's URL, for files_url and
// details_url.
func (r *Request) toJSON(base string) signatureRequestJSON {
	md := make(map[string]any, len(r.Metadata))
	for k, v := range r.Metadata {
		md[k] = v
	}
	subject := r.Subject
	out := signatureRequestJSON{
		TestMode: r.TestMode, SignatureRequestID: r.ID, Title: r.Title, OriginalTitle: r.Title, Subject: &subject,
		Metadata: md, CreatedAt: r.CreatedAt.Unix(), IsComplete: r.Status == StatusComplete,
		FilesURL:         base + "/signature_request/files/" + r.ID,
		DetailsURL:       base + "/details/" + r.ID,
		CCEmailAddresses: []string{},
		Signatures:       make([]signatureJSON, 0, len(r.Signers)),
	}
	for _, s := range r.Signers {
		name := s.Name
		out.Signatures = append(out.Signatures, signatureJSON{
			SignatureID: s.SignatureID, SignerEmailAddress: s.Email, SignerName: &name, Order: s.Order,
			StatusCode: s.Status, SignedAt: unixOrNil(s.SignedAt), LastViewedAt: unixOrNil(s.ViewedAt),
		})
	}
	return out
}

func unixOrNil(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	u := t.Unix()
	return &u
}
