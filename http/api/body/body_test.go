package body_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dsr/http/api/body"
)

type inner struct {
	Email string `json:"email"`
}

type target struct {
	Type    string            `json:"type"`
	Subject inner             `json:"subject"`
	Fields  map[string]string `json:"fields,omitempty"`
	List    []string          `json:"list,omitempty"`
	Count   int               `json:"count,omitempty"`
	Flag    bool              `json:"flag,omitempty"`
	Opt     *string           `json:"opt,omitempty"`
	Extra   json.RawMessage   `json:"extra,omitempty"`
	Any     any               `json:"any,omitempty"`
}

func TestDecodeGood(t *testing.T) {
	t.Parallel()
	var v target
	err := body.Decoder{}.DecodeBytes([]byte(`{"type":"access","subject":{"email":"a@b.eu"},"fields":{"name":"Zoë"},
		"list":["x"],"count":3,"flag":true,"opt":null,"extra":{"a":{"A":1},"b":[null]},"any":{"k":"v"}} `), &v)
	require.NoError(t, err)
	require.Equal(t, "access", v.Type)
	require.Equal(t, "a@b.eu", v.Subject.Email)
	require.Equal(t, map[string]string{"name": "Zoë"}, v.Fields)
	require.JSONEq(t, `{"a":{"A":1},"b":[null]}`, string(v.Extra))
	require.Equal(t, map[string]any{"k": "v"}, v.Any)

	// An empty body is accepted only when allowed, and leaves the target alone.
	v = target{Type: "kept"}
	require.NoError(t, body.Decoder{AllowEmpty: true}.DecodeBytes([]byte(" \n"), &v))
	require.Equal(t, "kept", v.Type)
}

func TestDecodeRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		body   string
		kind   body.Kind
		status int
		path   string
	}{
		{"duplicate key", `{"type":"access","type":"erasure"}`, body.KindDuplicate, 400, "type"},
		{"duplicate nested", `{"subject":{"email":"a@b.eu","email":"c@d.eu"}}`, body.KindDuplicate, 400, "subject.email"},
		{"duplicate in map", `{"fields":{"name":"a","name":"b"}}`, body.KindDuplicate, 400, "fields.name"},
		{"duplicate in free-form", `{"extra":{"a":1,"a":2}}`, body.KindDuplicate, 400, "extra.a"},
		{"key case", `{"TYPE":"access"}`, body.KindCase, 400, "TYPE"},
		{"key case nested", `{"subject":{"Email":"a@b.eu"}}`, body.KindCase, 400, "subject.Email"},
		{"unknown", `{"colour":"red"}`, body.KindUnknown, 400, "colour"},
		{"unknown nested", `{"subject":{"name":"x"}}`, body.KindUnknown, 400, "subject.name"},
		{"null string", `{"type":null}`, body.KindNull, 400, "type"},
		{"null map value", `{"fields":{"name":null}}`, body.KindNull, 400, "fields.name"},
		{"null object", `{"subject":null}`, body.KindNull, 400, "subject"},
		{"null list", `{"list":null}`, body.KindNull, 400, "list"},
		{"null in list", `{"list":[null]}`, body.KindNull, 400, "list[0]"},
		{"null body", `null`, body.KindNull, 400, ""},
		{"number for string", `{"type":1}`, body.KindType, 400, "type"},
		{"object for string", `{"type":{}}`, body.KindType, 400, "type"},
		{"string for object", `{"subject":"a@b.eu"}`, body.KindType, 400, "subject"},
		{"array for map", `{"fields":["a"]}`, body.KindType, 400, "fields"},
		{"number in list", `{"list":["a",2]}`, body.KindType, 400, "list[1]"},
		{"bool for int", `{"count":true}`, body.KindType, 400, "count"},
		{"fraction for int", `{"count":1.5}`, body.KindType, 400, "count"},
		{"huge int", `{"count":1e400}`, body.KindType, 400, "count"},
		{"array body", `["access"]`, body.KindType, 400, ""},
		{"string body", `"access"`, body.KindType, 400, ""},
		{"trailing object", `{"type":"access"}{"type":"erasure"}`, body.KindTrailing, 400, ""},
		{"trailing garbage", `{"type":"access"} x`, body.KindTrailing, 400, ""},
		{"truncated", `{"type":"access"`, body.KindSyntax, 400, ""},
		{"bad syntax", `{"type" "access"}`, body.KindSyntax, 400, "type"},
		{"single quotes", `{'type':'access'}`, body.KindSyntax, 400, ""},
		{"empty", ``, body.KindEmpty, 400, ""},
		{"too deep", `{"extra":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, body.KindDepth, 400, "extra" + strings.Repeat("[0]", 31)},
		{"raw NUL", "{\"type\":\"a\x00\"}", body.KindEncoding, 422, ""},
		{"raw control character", "{\"type\":\"a\x1b\"}", body.KindEncoding, 422, ""},
		{"escaped NUL", `{"type":"a\u0000"}`, body.KindEncoding, 422, ""},
		{"escaped NUL in key", `{"ty\u0000pe":"a"}`, body.KindEncoding, 422, ""},
		{"invalid UTF-8", "{\"type\":\"\xff\"}", body.KindEncoding, 422, ""},
		{"truncated UTF-8", "{\"type\":\"\xc3\"}", body.KindEncoding, 422, ""},
		{"overlong UTF-8", "{\"type\":\"\xc0\xaf\"}", body.KindEncoding, 422, ""},
		{"lone high surrogate", `{"type":"\ud800"}`, body.KindEncoding, 422, ""},
		{"lone low surrogate", `{"type":"\udc00x"}`, body.KindEncoding, 422, ""},
		{"reversed surrogates", `{"type":"\udc00\ud800"}`, body.KindEncoding, 422, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var v target
			err := body.Decoder{}.DecodeBytes([]byte(tt.body), &v)
			var be *body.Error
			require.True(t, errors.As(err, &be), "error: %v", err)
			require.Equal(t, tt.kind, be.Kind, be.Error())
			require.Equal(t, tt.status, be.Status())
			require.Equal(t, tt.path, be.Path, be.Error())
			if tt.path != "" {
				require.True(t, strings.HasPrefix(be.Error(), tt.path+": "), be.Error())
			}
		})
	}
	t.Logf("refused bodies: %d", len(tests))
}

func TestDecodeLimit(t *testing.T) {
	t.Parallel()
	d := body.Decoder{Limit: 1 << 10}
	big := `{"type":"` + strings.Repeat("a", 1<<10) + `"}`
	var v target
	err := d.Decode(strings.NewReader(big), &v)
	var be *body.Error
	require.True(t, errors.As(err, &be))
	require.Equal(t, http.StatusRequestEntityTooLarge, be.Status())
	require.Contains(t, be.Error(), "1 KiB")

	ok := `{"type":"` + strings.Repeat("a", 1<<9) + `"}`
	require.NoError(t, d.Decode(strings.NewReader(ok), &v))
}

// The surrogate pair of an astral character and escaped quotes are fine.
func TestDecodeEscapes(t *testing.T) {
	t.Parallel()
	var v target
	require.NoError(t, body.Decoder{}.DecodeBytes([]byte(`{"type":"\ud83d\ude00 \"q\" \\u0000 \u00e9"}`), &v))
	require.Equal(t, "😀 \"q\" \\u0000 é", v.Type)
}
