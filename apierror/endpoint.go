package apierror

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// BaseURL checks a provider client's configured API URL (defaultURL when empty) and
// returns it without a trailing slash; the error names the provider and the value.
func BaseURL(provider, apiURL, defaultURL string) (string, error) {
	if apiURL == "" {
		apiURL = defaultURL
	}
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("%s: APIURL %q is not an absolute http(s) URL", provider, apiURL)
	}
	return strings.TrimRight(apiURL, "/"), nil
}

// HTTPClient is hc, or a client with the given timeout when hc is nil: a provider that
// never answers must not hold a job past it.
func HTTPClient(hc *http.Client, timeout time.Duration) *http.Client {
	if hc != nil {
		return hc
	}
	return &http.Client{Timeout: timeout}
}
