package winrm

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
)

// decodeOutput returns the one JSON object a script printed, surrounded by
// nothing but whitespace.
func decodeOutput(stdout string) (json.RawMessage, error) {
	text := strings.TrimSpace(strings.TrimPrefix(stdout, "\ufeff"))
	if !strings.HasPrefix(text, "{") {
		return nil, errors.New("it does not start with {")
	}
	dec := json.NewDecoder(strings.NewReader(text))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("more follows the object")
	}
	return bytes.Clone(raw), nil
}

// quoteOutput quotes output for an error, shortened.
func quoteOutput(s string) string {
	if strings.TrimSpace(s) == "" {
		return "nothing"
	}
	return strconv.Quote(truncate(s, 200))
}
