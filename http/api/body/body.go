// Package body decodes JSON request bodies strictly, for the customer API and any other
// endpoint that reads JSON: a body is refused, with the path of the offending field, when
// encoding/json alone would have guessed.
//
// In order, a body is refused when it is
//   - larger than the limit (413, KindTooLarge);
//   - not valid UTF-8, or holds a NUL (raw or \u0000), another raw control character
//     (other than tab and line ends) or an unpaired surrogate escape anywhere (422,
//     KindEncoding);
//   - not one JSON value (KindSyntax), followed by more data (KindTrailing), holding an
//     object key twice (KindDuplicate), a key the target has no field for (KindUnknown) or
//     has only in another letter case (KindCase), null where the target cannot hold it
//     (KindNull), or a value of the wrong JSON type (KindType), all 400.
//
// Targets are ordinary structs with json tags. A field of type json.RawMessage, any, or a
// type with its own UnmarshalJSON takes a free-form JSON value: its keys are not matched
// against anything, but duplicates, NULs and the encoding are still refused. Maps take any
// key; their values are checked against the map's element type. Null is accepted only
// where the target can tell it apart: pointers, interfaces and free-form values.
package body

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Kind is what is wrong with a body.
type Kind string

// Kinds of refusal.
const (
	KindTooLarge  Kind = "too_large"
	KindEncoding  Kind = "encoding"
	KindEmpty     Kind = "empty"
	KindSyntax    Kind = "syntax"
	KindTrailing  Kind = "trailing_data"
	KindDuplicate Kind = "duplicate_key"
	KindUnknown   Kind = "unknown_field"
	KindCase      Kind = "key_case"
	KindNull      Kind = "null"
	KindType      Kind = "wrong_type"
	KindDepth     Kind = "too_deep"
)

// Error is a refused body. Path names the field ("rectification.name",
// "objection_purposes[1]"); it is empty for the body as a whole.
type Error struct {
	Kind Kind
	Path string
	// Msg says what is wrong, without the path.
	Msg string
}

// Error renders the path and the message, for the caller to read.
func (e *Error) Error() string {
	if e.Path == "" {
		return "body: " + e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Status is the HTTP status the refusal answers with: 413, 422 or 400.
func (e *Error) Status() int {
	switch e.Kind {
	case KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case KindEncoding:
		return http.StatusUnprocessableEntity
	}
	return http.StatusBadRequest
}

// Decoder holds the limits of one kind of body.
type Decoder struct {
	// Limit is the largest body accepted, in bytes; DefaultLimit when 0.
	Limit int64
	// AllowEmpty accepts an empty body (only white space) and leaves the target as it is.
	AllowEmpty bool
	// MaxDepth is the deepest nesting of objects and arrays; DefaultMaxDepth when 0.
	MaxDepth int
}

// Defaults of a Decoder.
const (
	DefaultLimit    = 64 << 10
	DefaultMaxDepth = 32
)

// Decode reads the body from r (at most the limit and one byte) and decodes it into v, a
// non-nil pointer. The error, when the body is refused, is an *Error; any other error is
// the reader's.
func (d Decoder) Decode(r io.Reader, v any) error {
	limit := d.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &Error{Kind: KindTooLarge, Msg: "larger than the limit of " + size(mbe.Limit)}
		}
		return fmt.Errorf("read body: %w", err)
	}
	if int64(len(data)) > limit {
		return &Error{Kind: KindTooLarge, Msg: "larger than the limit of " + size(limit)}
	}
	return d.DecodeBytes(data, v)
}

// DecodeBytes is Decode of a body already read.
func (d Decoder) DecodeBytes(data []byte, v any) error {
	if d.Limit > 0 && int64(len(data)) > d.Limit {
		return &Error{Kind: KindTooLarge, Msg: "larger than the limit of " + size(d.Limit)}
	}
	if err := checkEncoding(data); err != nil {
		return err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		if d.AllowEmpty {
			return nil
		}
		return &Error{Kind: KindEmpty, Msg: "empty; a JSON object is expected"}
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("body: decode into %T, not a non-nil pointer", v)
	}
	depth := d.MaxDepth
	if depth <= 0 {
		depth = DefaultMaxDepth
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	w := walker{dec: dec, maxDepth: depth}
	if err := w.value(rv.Type().Elem(), "", 0); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return &Error{Kind: KindTrailing, Msg: fmt.Sprintf("unexpected data after the JSON value, at byte %d", dec.InputOffset())}
	}
	if err := json.Unmarshal(data, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &Error{Kind: KindType, Path: te.Field, Msg: fmt.Sprintf("a JSON %s does not fit here (%s expected)", te.Value, typeName(te.Type))}
		}
		return &Error{Kind: KindType, Msg: err.Error()}
	}
	return nil
}

func size(n int64) string {
	if n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	if n%(1<<10) == 0 {
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// checkEncoding is the raw pass: valid UTF-8, no NUL byte, and no escape that decodes to
// NUL or to half a surrogate pair (which encoding/json would turn into U+FFFD). Outside
// strings a backslash is a syntax error, so every escape seen here is inside one.
func checkEncoding(data []byte) error {
	if !utf8.Valid(data) {
		i := 0
		for i < len(data) {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		return &Error{Kind: KindEncoding, Msg: fmt.Sprintf("not valid UTF-8 (at byte %d)", i)}
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return &Error{Kind: KindEncoding, Msg: fmt.Sprintf("contains a NUL byte (at byte %d)", i)}
	}
	// Raw control characters other than JSON's white space are text that cannot be
	// stored as sent, not only bad syntax.
	if i := bytes.IndexFunc(data, func(r rune) bool { return r < 0x20 && r != '\t' && r != '\n' && r != '\r' }); i >= 0 {
		return &Error{Kind: KindEncoding, Msg: fmt.Sprintf("contains a control character (U+%04X at byte %d)", data[i], i)}
	}
	for i := 0; i < len(data); i++ {
		if data[i] != '\\' || i+1 >= len(data) {
			continue
		}
		if data[i+1] != 'u' {
			i++ // \\, \" and the others: skip the escaped byte
			continue
		}
		r, ok := hex4(data[i+2:])
		if !ok {
			continue // a syntax error the decoder names
		}
		switch {
		case r == 0:
			return &Error{Kind: KindEncoding, Msg: fmt.Sprintf(`contains a NUL character (\u0000 at byte %d)`, i)}
		case r >= 0xD800 && r <= 0xDBFF:
			if len(data) < i+12 || data[i+6] != '\\' || data[i+7] != 'u' {
				return unpaired(i)
			}
			lo, ok := hex4(data[i+8:])
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return unpaired(i)
			}
			i += 11
		case r >= 0xDC00 && r <= 0xDFFF:
			return unpaired(i)
		default:
			i += 5
		}
	}
	return nil
}

func unpaired(at int) error {
	return &Error{Kind: KindEncoding, Msg: fmt.Sprintf("contains an unpaired surrogate escape, not valid UTF-16 (at byte %d)", at)}
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[:4]), 16, 16)
	return rune(n), err == nil
}

var (
	rawMessageType      = reflect.TypeFor[json.RawMessage]()
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// walker checks the token stream against the target type before anything is decoded.
type walker struct {
	dec      *json.Decoder
	maxDepth int
}

// shape resolves t to what the JSON must look like: nil for a free-form value.
func shape(t reflect.Type) (reflect.Type, bool) {
	nullable := false
	for t.Kind() == reflect.Pointer {
		nullable = true
		t = t.Elem()
	}
	if t == rawMessageType || t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil, true
	}
	return t, nullable
}

func (w *walker) token(path string) (json.Token, error) {
	tok, err := w.dec.Token()
	if err == io.EOF {
		return nil, &Error{Kind: KindSyntax, Path: path, Msg: "not valid JSON: it ends too early"}
	}
	if err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, &Error{Kind: KindSyntax, Path: path, Msg: fmt.Sprintf("not valid JSON at byte %d: %s", se.Offset, se.Error())}
		}
		return nil, &Error{Kind: KindSyntax, Path: path, Msg: "not valid JSON: " + err.Error()}
	}
	return tok, nil
}

// value checks one JSON value against t (nil: free-form).
func (w *walker) value(t reflect.Type, path string, depth int) error {
	nullable := true
	if t != nil {
		t, nullable = shape(t)
	}
	tok, err := w.token(path)
	if err != nil {
		return err
	}
	switch tok := tok.(type) {
	case nil:
		if !nullable {
			return &Error{Kind: KindNull, Path: path, Msg: "null is not allowed here; give a value or leave the field out"}
		}
		return nil
	case json.Delim:
		if depth >= w.maxDepth {
			return &Error{Kind: KindDepth, Path: path, Msg: fmt.Sprintf("nested deeper than %d levels", w.maxDepth)}
		}
		if tok == '{' {
			return w.object(t, path, depth+1)
		}
		return w.array(t, path, depth+1)
	case string:
		if t != nil && t.Kind() != reflect.String && !reflect.PointerTo(t).Implements(textUnmarshalerType) &&
			(t.Kind() != reflect.Slice || t.Elem().Kind() != reflect.Uint8) {
			return wrongType(path, "string", t)
		}
	case json.Number:
		if t != nil && !isNumber(t.Kind()) {
			return wrongType(path, "number", t)
		}
	case bool:
		if t != nil && t.Kind() != reflect.Bool {
			return wrongType(path, "boolean", t)
		}
	}
	return nil
}

func isNumber(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

func wrongType(path, got string, want reflect.Type) error {
	return &Error{Kind: KindType, Path: path, Msg: fmt.Sprintf("a JSON %s does not fit here (%s expected)", got, typeName(want))}
}

// typeName names a Go type the way JSON sees it.
func typeName(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.String || reflect.PointerTo(t).Implements(textUnmarshalerType):
		return "a string"
	case isNumber(t.Kind()):
		return "a number"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.Struct || t.Kind() == reflect.Map:
		return "an object"
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return "an array"
	}
	return "a value"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (w *walker) object(t reflect.Type, path string, depth int) error {
	var fields map[string]reflect.Type
	var elem reflect.Type
	switch {
	case t == nil:
	case t.Kind() == reflect.Struct:
		fields = jsonFields(t)
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String:
		elem = t.Elem()
	default:
		return wrongType(path, "object", t)
	}
	seen := map[string]bool{}
	for w.dec.More() {
		tok, err := w.token(path)
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return &Error{Kind: KindSyntax, Path: path, Msg: "an object key is not a string"}
		}
		at := join(path, key)
		if seen[key] {
			return &Error{Kind: KindDuplicate, Path: at, Msg: "the key appears twice in the object"}
		}
		seen[key] = true
		var ft reflect.Type
		switch {
		case t == nil:
		case fields != nil:
			f, ok := fields[key]
			if !ok {
				for name := range fields {
					if strings.EqualFold(name, key) {
						return &Error{Kind: KindCase, Path: at, Msg: fmt.Sprintf("unknown field; keys are case-sensitive: did you mean %q?", name)}
					}
				}
				return &Error{Kind: KindUnknown, Path: at, Msg: "unknown field"}
			}
			ft = f
		default:
			ft = elem
		}
		if err := w.value(ft, at, depth); err != nil {
			return err
		}
	}
	_, err := w.token(path) // '}'
	return err
}

func (w *walker) array(t reflect.Type, path string, depth int) error {
	var elem reflect.Type
	if t != nil {
		if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
			return wrongType(path, "array", t)
		}
		elem = t.Elem()
	}
	for i := 0; w.dec.More(); i++ {
		if err := w.value(elem, path+"["+strconv.Itoa(i)+"]", depth); err != nil {
			return err
		}
	}
	_, err := w.token(path) // ']'
	return err
}

// jsonFields maps a struct's JSON keys to their types, as encoding/json names them
// (tags, exported fields, embedded structs flattened).
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for _, f := range reflect.VisibleFields(t) {
		if f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get("json") == "" {
			continue // its fields are listed by VisibleFields
		}
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := out[name]; !dup {
			out[name] = f.Type
		}
	}
	return out
}
