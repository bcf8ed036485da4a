package demo

import "strconv"

// Subject is one of a seeded tenant's well-known data subjects: whom to name in a request to
// see a particular behaviour.
type Subject struct {
	Email string `json:"email"`
	// Kind is what the subject is in the chat store: end_user, owner, admin or agent.
	Kind string `json:"kind"`
	// Shows is what a request about the subject shows.
	Shows string `json:"shows"`
}

// Subjects returns the well-known subjects of a tenant of that name seeded with the demo
// data (the package documentation describes them).
func Subjects(tenantName string) []Subject {
	domain := Domain(tenantName)
	out := []Subject{
		{Email: UserEmail(1), Kind: "end_user", Shows: "has an open conversation, an OAuth token, a session and a saved search: an erasure waits until the conversation is closed or a DPO overrides"},
		{Email: UserEmail(2), Kind: "end_user", Shows: "all conversations closed: an erasure runs through"},
		{Email: UserEmail(3), Kind: "end_user", Shows: "an ordinary visitor (visitor<i>@example.com exist for i up to the seed's --end-users, in every seeded tenant)"},
		{Email: "owner@" + domain, Kind: "owner", Shows: "the account owner: an erasure keeps the staff profile the contract still needs"},
	}
	for i := 1; i < agentCount; i++ {
		kind, shows := "agent", "a member of staff: an erasure keeps the name in transcripts unless the scope is full"
		if i <= adminCount {
			kind = "admin"
		}
		out = append(out, Subject{Email: "agent" + strconv.Itoa(i) + "@" + domain, Kind: kind, Shows: shows})
	}
	return out
}
