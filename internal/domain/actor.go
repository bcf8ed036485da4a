package domain

import (
	"slices"
	"strings"
)

// Actor is who did something to a request, as its record names them: ActorSystem, the
// subject, a tenant (by id), a dashboard user (by role and email), a DPO on the command
// line, or a sub-processor (by name).
type Actor string

// Actors that are not a person or a party named in the record.
const (
	ActorSystem  Actor = "system"
	ActorSubject Actor = "subject"
	// ActorUnknown stands in for a decision that named nobody.
	ActorUnknown Actor = "unknown"
	// ActorSubjectByLink and ActorSubjectByReply are the subject verifying their identity
	// by the link in dsr's mail, or by replying with the code.
	ActorSubjectByLink  Actor = "subject:link"
	ActorSubjectByReply Actor = "subject:reply"
	// ActorVendorReply is a sub-processor's reply by mail, which confirms its task.
	ActorVendorReply Actor = "vendor:reply"
)

// TenantActor is a tenant acting through the API.
func TenantActor(tenantID string) Actor { return Actor("tenant:" + tenantID) }

// UserActor is a dashboard user.
func UserActor(role Role, email string) Actor { return Actor(string(role) + ":" + email) }

// DPOActor is a DPO acting on the command line, by the name they gave.
func DPOActor(name string) Actor { return Actor(string(RoleDPO) + ":" + name) }

// VendorActor is a sub-processor, by its name in the registry.
func VendorActor(name string) Actor { return Actor("vendor:" + name) }

// Party is the kind of actor: "system", "subject", "tenant", "vendor" or a role.
func (a Actor) Party() string {
	kind, _, _ := strings.Cut(string(a), ":")
	return kind
}

// Role is what a dashboard user may do.
type Role string

// Roles, from least to most privileged: a viewer reads, a DPO also acts on requests, an
// admin also manages users and tenants.
const (
	RoleViewer Role = "viewer"
	RoleDPO    Role = "dpo"
	RoleAdmin  Role = "admin"
)

// Roles lists the roles from least to most privileged.
var Roles = []Role{RoleViewer, RoleDPO, RoleAdmin}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Allows reports whether a user with role r may do what needs the role want: roles are
// ordered, so an admin may do what a DPO may.
func (r Role) Allows(want Role) bool {
	have, need := slices.Index(Roles, r), slices.Index(Roles, want)
	return have >= 0 && need >= 0 && have >= need
}
