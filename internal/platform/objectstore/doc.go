// Package objects stores the files that chat-store rows point at (attachments) by key: in a
// directory on local disk by default, or in an S3-compatible bucket (AWS S3, MinIO, Ceph,
// ...) through github.com/minio/minio-go/v7 when OBJECT_STORE_URL names one.
//
// # Keys
//
// A key is a slash-separated name such as "tenants/<id>/attachments/<hex>". Every Store
// refuses (ErrInvalidKey) an empty key, a key longer than 1024 bytes, one that is not valid
// UTF-8 or that holds a NUL byte. Dir, whose keys become file paths, also refuses absolute
// keys, backslashes and the segments "", "." and "..", and opens every file through an
// os.Root, so that no key nor symlink reaches outside its directory.
//
// # Semantics
//
// Get of a missing key fails with ErrNotFound; Delete of a missing key succeeds, so a
// retried deletion is harmless; Put replaces an existing object whole (a reader never sees
// a half-written file in a Dir).
package objectstore
