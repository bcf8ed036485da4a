package request

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	apibody "dsr/http/api/body"
)

// FuzzBody throws bodies at the decoding and validation of POST /v1/requests: nothing
// panics, every refusal is a typed body error or a validation message, and a body that is
// accepted encodes to JSON that decodes and validates to the same request.
func FuzzBody(f *testing.F) {
	f.Add([]byte(`{"type":"access","subject":{"email":"a@b.eu"}}`))
	f.Add([]byte(`{"type":"rectification","subject":{"email":"a@b.eu"},"rectification":{"locale":"en_gb","name":"Zoë"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var b Body
		if err := Decoder.DecodeBytes(data, &b); err != nil {
			var be *apibody.Error
			if !errors.As(err, &be) {
				t.Fatalf("refusal of %q is not a body error: %v", data, err)
			}
			return
		}
		if err := b.Validate(); err != nil {
			return
		}
		enc, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("accepted body %q does not encode: %v", data, err)
		}
		var again Body
		if err := Decoder.DecodeBytes(enc, &again); err != nil {
			t.Fatalf("re-encoded body %s is refused: %v", enc, err)
		}
		if err := again.Validate(); err != nil {
			t.Fatalf("re-encoded body %s does not validate: %v", enc, err)
		}
		if !reflect.DeepEqual(b, again) {
			t.Fatalf("re-encoded body decodes differently:\n%#v\n%#v", b, again)
		}
	})
}
