package api

import (
	"bytes"
	"crypto/sha256"
	_ "embed" // the OpenAPI document
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// openAPIDocument is the OpenAPI 3.1 document of the API, written by hand next to the
// handlers; the tests validate every request and response they make against it.
//
//go:embed openapi.json
var openAPIDocument []byte

// openAPIETag is the document's version for conditional requests.
var openAPIETag = func() string {
	sum := sha256.Sum256(openAPIDocument)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}()

// OpenAPI returns the OpenAPI 3.1 document of the API (a copy).
func OpenAPI() []byte { return bytes.Clone(openAPIDocument) }

// serveOpenAPI handles GET /v1/openapi.json, without authentication: the document changes
// only with a release, so caches may keep it a while and revalidate it by its ETag.
func serveOpenAPI(c *gin.Context) {
	c.Header("ETag", openAPIETag)
	c.Header("Cache-Control", "public, max-age=300")
	if etagMatches(c.GetHeader("If-None-Match"), openAPIETag) {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, "application/json", openAPIDocument)
}

// etagMatches reports whether an If-None-Match header names etag (weakly compared) or is *.
func etagMatches(header, etag string) bool {
	for tag := range strings.SplitSeq(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == etag {
			return true
		}
	}
	return false
}
