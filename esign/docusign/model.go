package docusign

// The parts of DocuSign's JSON the client writes or reads, named as in the eSignature
// REST API v2.1 (definitions envelopeDefinition, signer, signHere, eventNotification,
// envelopesInformation, errorDetails). Every value DocuSign types as a string is one,
// numbers and booleans included.

//nolint:tagliatelle // DocuSign's own field names
type envelopeDefinition struct {
	Status            string            `json:"status"`
	EmailSubject      string            `json:"emailSubject"`
	Documents         []document        `json:"documents"`
	Recipients        recipients        `json:"recipients"`
	CustomFields      customFields      `json:"customFields"`
	TransactionID     string            `json:"transactionId"`
	EventNotification eventNotification `json:"eventNotification"`
}

//nolint:tagliatelle // DocuSign's own field names
type document struct {
	DocumentBase64 string `json:"documentBase64"`
	DocumentID     string `json:"documentId"`
	Name           string `json:"name"`
	FileExtension  string `json:"fileExtension"`
}

type recipients struct {
	Signers []signer `json:"signers"`
}

//nolint:tagliatelle // DocuSign's own field names
type signer struct {
	RecipientID  string `json:"recipientId"`
	RoutingOrder string `json:"routingOrder,omitempty"`
	Name         string `json:"name,omitempty"`
	Email        string `json:"email,omitempty"`
	RoleName     string `json:"roleName,omitempty"`
	Status       string `json:"status,omitempty"`
	Tabs         *tabs  `json:"tabs,omitempty"`
}

//nolint:tagliatelle // DocuSign's own field names
type tabs struct {
	SignHereTabs []signHere `json:"signHereTabs"`
}

//nolint:tagliatelle // DocuSign's own field names
type signHere struct {
	DocumentID string `json:"documentId"`
	PageNumber string `json:"pageNumber"`
	XPosition  string `json:"xPosition"`
	YPosition  string `json:"yPosition"`
	TabLabel   string `json:"tabLabel"`
}

//nolint:tagliatelle // DocuSign's own field names
type customFields struct {
	TextCustomFields []textCustomField `json:"textCustomFields"`
}

type textCustomField struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Show     string `json:"show"`
	Required string `json:"required"`
}

// eventNotification registers a Connect webhook for one envelope. eventData and events
// are the JSON SIM ("restv2.1") form; the v2 document defines only the legacy XML
// form's envelopeEvents/recipientEvents, which would get us XML messages our receiver
// does not read.
//
//nolint:tagliatelle // DocuSign's own field names
type eventNotification struct {
	URL                       string    `json:"url"`
	IncludeHMAC               string    `json:"includeHMAC"`
	RequireAcknowledgment     string    `json:"requireAcknowledgment"`
	LoggingEnabled            string    `json:"loggingEnabled"`
	IncludeEnvelopeVoidReason string    `json:"includeEnvelopeVoidReason"`
	EventData                 eventData `json:"eventData"`
	Events                    []string  `json:"events"`
}

//nolint:tagliatelle // DocuSign's own field names
type eventData struct {
	Version     string   `json:"version"`
	Format      string   `json:"format"`
	IncludeData []string `json:"includeData"`
}

//nolint:tagliatelle // DocuSign's own field names
type envelopeSummary struct {
	EnvelopeID string `json:"envelopeId"`
	Status     string `json:"status"`
}

//nolint:tagliatelle // DocuSign's own field names
type envelopesInformation struct {
	Envelopes                   []envelope `json:"envelopes"`
	EnvelopeTransactionStatuses []envelope `json:"envelopeTransactionStatuses"`
}

//nolint:tagliatelle // DocuSign's own field names
type envelope struct {
	EnvelopeID      string `json:"envelopeId"`
	Status          string `json:"status"`
	CreatedDateTime string `json:"createdDateTime"`
}

// voidRequest is the PUT envelopes/{id} body that voids an envelope.
//
//nolint:tagliatelle // DocuSign's own field names
type voidRequest struct {
	Status       string `json:"status"`
	VoidedReason string `json:"voidedReason"`
}

// errorDetails is the API's error body; the OAuth service answers with error and
// error_description instead.
//
//nolint:tagliatelle // DocuSign's own field names
type errorDetails struct {
	ErrorCode        string `json:"errorCode"`
	Message          string `json:"message"`
	OAuthError       string `json:"error"`
	OAuthDescription string `json:"error_description"`
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

type userInfo struct {
	Accounts []struct {
		AccountID string `json:"account_id"`
		IsDefault bool   `json:"is_default"`
		BaseURI   string `json:"base_uri"`
	} `json:"accounts"`
}
