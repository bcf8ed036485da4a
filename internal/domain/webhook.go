package domain

import "slices"

// WebhookEvent is the type of an event a tenant's webhook subscription receives.
type WebhookEvent string

// Webhook event types.
const (
	// WebhookStatusChanged is sent for every change of a request's status.
	WebhookStatusChanged WebhookEvent = "request.status_changed"
	// WebhookPackageReady is sent when an access or portability package is ready.
	WebhookPackageReady WebhookEvent = "request.package_ready"
)

// OpenDSRStatusCallback is the event of an OpenDSR status callback: not a subscription's,
// it goes to the callback URLs an OpenDSR controller named for its request.
const OpenDSRStatusCallback WebhookEvent = "opendsr.status_callback"

// WebhookEvents are every webhook event type; a subscription with none listed receives all.
var WebhookEvents = []WebhookEvent{WebhookStatusChanged, WebhookPackageReady}

// Valid reports whether e is one of WebhookEvents.
func (e WebhookEvent) Valid() bool { return slices.Contains(WebhookEvents, e) }

// DeliveryStatus is where one delivery of a webhook event stands.
type DeliveryStatus string

// Delivery statuses: queued until a receiver answers 2xx (delivered) or the retry budget
// runs out (failed).
const (
	DeliveryQueued    DeliveryStatus = "queued"
	DeliveryDelivered DeliveryStatus = "delivered"
	DeliveryFailed    DeliveryStatus = "failed"
)

// DeliveryStatuses are every delivery status.
var DeliveryStatuses = []DeliveryStatus{DeliveryQueued, DeliveryDelivered, DeliveryFailed}

// Valid reports whether s is one of DeliveryStatuses.
func (s DeliveryStatus) Valid() bool { return slices.Contains(DeliveryStatuses, s) }

// AttemptError is what went wrong with one delivery attempt, by kind: never the receiver's
// response body.
type AttemptError string

// Kinds of failed attempts.
const (
	AttemptTimeout  AttemptError = "timeout"
	AttemptConnect  AttemptError = "connect"
	AttemptRefused  AttemptError = "refused_address"
	AttemptTLS      AttemptError = "tls"
	AttemptStatus   AttemptError = "status"
	AttemptInternal AttemptError = "internal"
)

// AttemptErrors are every kind of failed attempt.
var AttemptErrors = []AttemptError{AttemptTimeout, AttemptConnect, AttemptRefused, AttemptTLS, AttemptStatus, AttemptInternal}
