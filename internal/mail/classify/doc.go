// Package inbox reads the mail that arrives in a privacy mailbox and says what each one is.
//
// Parse turns an RFC 5322 message into a Message: decoded headers (RFC 2047 words, any
// charset go-message knows), one text body (text/plain preferred, HTML converted to text
// otherwise, quoted-printable and base64 undone) and the attachments' names, types, sizes
// and SHA-256 digests, never their bytes. A message over the size limit fails with
// ErrTooLarge and one that cannot be read as mail with ErrMalformed, so that the caller can
// quarantine it.
//
// Classify says whether a Message is a data-subject request, which rights it asks for
// (access, rectification, erasure, restriction, portability, objection), in what language
// it is written, and whose data it is about. Mail that is not a request is sorted into
// auto-replies, bounces, newsletters, replies to dsr's own mail, support, sales and
// security reports. The classifier works from headers first (RFC 3834 auto-replies, RFC
// 3464 delivery reports, RFC 2369 list headers, In-Reply-To/References and the
// "[DSR-xxxx]" subject tag), then from the text: per-language lexicons of phrases matched
// on accent-folded tokens within a sentence, GDPR article numbers, and guards for negation,
// self-service questions and sales or compliance questions. Every decision carries a
// Confidence and machine-readable Reasons; a low confidence means a human must look.
//
// Nothing in this package logs, and Reasons never contain personal data: they name rules,
// never the words or addresses that matched.
package classify
