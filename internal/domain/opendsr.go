package domain

import "slices"

// OpenDSRStatus is a request's status as the OpenDSR (formerly OpenGDPR) protocol names it
// to controllers' tools.
type OpenDSRStatus string

// The OpenDSR statuses.
const (
	OpenDSRPending    OpenDSRStatus = "pending"
	OpenDSRInProgress OpenDSRStatus = "in_progress"
	OpenDSRCompleted  OpenDSRStatus = "completed"
	OpenDSRCancelled  OpenDSRStatus = "cancelled"
)

// OpenDSRStatuses are the OpenDSR statuses in the order a request passes them.
var OpenDSRStatuses = []OpenDSRStatus{OpenDSRPending, OpenDSRInProgress, OpenDSRCompleted, OpenDSRCancelled}

// OpenDSR is how a status is reported over OpenDSR, which knows four: a request not yet
// acted on is pending (received, being verified, awaiting approval); one being acted on,
// or waiting on a blocker while doing so, is in progress; completed is completed. A
// request that ended without being fulfilled (canceled, denied, failed) is cancelled: the
// protocol has no status for a refusal or a failure, and reporting those as completed
// would tell the controller that data was erased or exported when it was not.
func (s Status) OpenDSR() OpenDSRStatus {
	switch s {
	case StatusReceived, StatusVerifying, StatusAwaitingApproval:
		return OpenDSRPending
	case StatusInProgress, StatusWaiting:
		return OpenDSRInProgress
	case StatusCompleted:
		return OpenDSRCompleted
	}
	return OpenDSRCancelled
}

// OpenDSRType is a subject request type of the OpenDSR protocol.
type OpenDSRType string

// The OpenDSR subject request types.
const (
	OpenDSRAccess      OpenDSRType = "access"
	OpenDSRPortability OpenDSRType = "portability"
	OpenDSRErasure     OpenDSRType = "erasure"
)

// OpenDSRTypes are the subject request types dsr supports over OpenDSR: all the protocol
// defines.
var OpenDSRTypes = []OpenDSRType{OpenDSRAccess, OpenDSRPortability, OpenDSRErasure}

// Valid reports whether t is one of OpenDSRTypes.
func (t OpenDSRType) Valid() bool { return slices.Contains(OpenDSRTypes, t) }

// Right is the right an OpenDSR request type exercises; an erasure is a full one
// (ScopeFull), as the protocol has no narrower erasure.
func (t OpenDSRType) Right() RequestType {
	switch t {
	case OpenDSRAccess:
		return Access
	case OpenDSRPortability:
		return Portability
	case OpenDSRErasure:
		return Erasure
	}
	return ""
}

// IdentityFormat is how an OpenDSR identity's value is encoded: the raw value, or a hex
// digest of it.
type IdentityFormat string

// The identity formats dsr accepts. A hashed email is the digest of the trimmed,
// lower-cased address.
const (
	IdentityRaw    IdentityFormat = "raw"
	IdentitySHA256 IdentityFormat = "sha256"
	IdentityMD5    IdentityFormat = "md5"
)

// IdentityFormats are the identity formats dsr accepts for an email.
var IdentityFormats = []IdentityFormat{IdentityRaw, IdentitySHA256, IdentityMD5}

// Valid reports whether f is one of IdentityFormats.
func (f IdentityFormat) Valid() bool { return slices.Contains(IdentityFormats, f) }

// HexLen is the length of a digest in this format in hex digits; 0 for raw.
func (f IdentityFormat) HexLen() int {
	switch f {
	case IdentitySHA256:
		return 64
	case IdentityMD5:
		return 32
	}
	return 0
}
