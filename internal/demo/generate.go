package demo

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Random streams. Every row draws from its own stream, seeded with the tenant's seed, the
// stream and the row's index, so that a row never depends on how many values other rows drew
// and a pass over a table can be repeated (attachments walk the messages again) for free.
const (
	streamPlan uint64 = iota + 1
	streamAgent
	streamUser
	streamConversation
	streamMessage
	streamBody
	streamAttachment
	streamToken
	streamSession
	streamSearch
)

// Number of staff per tenant and their roles by index: 0 is the owner, 1 and 2 are admins.
const (
	agentCount = 8
	adminCount = 2
)

const day = 24 * time.Hour

// person is an agent or end-user as the generator needs them.
type person struct {
	id     int64
	role   string
	name   string
	first  string
	email  string
	locale string
	phone  string
}

// conversation is one conversation's metadata.
type conversation struct {
	id       int64
	index    int
	user     *person
	agent    *person
	open     bool
	topic    *topic
	channel  string
	created  time.Time
	step     time.Duration // mean time between two messages
	closed   time.Time
	order    string
	day      string
	messages int
	// firstMessage is the index of the conversation's first message among all messages.
	firstMessage int
}

// message is one message's metadata (its body is generated separately).
type message struct {
	id      int64
	index   int // among all messages
	pos     int // within the conversation
	conv    *conversation
	author  *person
	kind    string
	created time.Time
}

// generator produces the rows of one tenant deterministically.
type generator struct {
	seed       uint64
	tenantID   string
	tenantName string
	domain     string
	users      int
	messages   int

	// The plan: how many conversations each end-user has and how many messages each
	// conversation has. Small (a few bytes per conversation), unlike the rows themselves.
	convsPerUser []int32
	msgsPerConv  []int32

	agents []person

	// First ids reserved in each table's sequence.
	agentBase, userBase, convBase, msgBase int64

	pcg rand.PCG
	r   *rand.Rand
	buf []byte
}

func newGenerator(seed uint64, o Options, tenantName string) *generator {
	g := &generator{
		seed:       seed,
		tenantID:   o.TenantID,
		tenantName: tenantName,
		domain:     Domain(tenantName),
		users:      o.EndUsers,
		messages:   o.Messages,
	}
	g.r = rand.New(&g.pcg)
	g.plan()
	return g
}

// at reseeds the shared random source for row index of stream and returns it.
func (g *generator) at(stream uint64, index int) *rand.Rand {
	g.pcg.Seed(g.seed^(stream*0x9e3779b97f4a7c15), uint64(index))
	return g.r
}

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

// plan distributes conversations over end-users (every end-user gets one while there are
// enough, the rest Zipf-like, so a few visitors are heavy users) and messages over
// conversations (at least two each when there are enough).
func (g *generator) plan() {
	r := rand.New(rand.NewPCG(g.seed, streamPlan))
	n, m := g.users, g.messages
	if n == 0 || m == 0 {
		g.convsPerUser = make([]int32, n)
		return
	}
	mean := min(max(float64(m)/float64(3*n), 2), 12)
	c := min(max(int(math.Round(float64(m)/mean)), 1), m)

	g.convsPerUser = make([]int32, n)
	for u := range min(n, c) {
		g.convsPerUser[u] = 1
	}
	if c > n {
		perm := r.Perm(n)
		z := rand.NewZipf(r, 1.1, 50, uint64(n-1))
		for range c - n {
			g.convsPerUser[perm[z.Uint64()]]++
		}
	}

	g.msgsPerConv = make([]int32, c)
	least := int32(1)
	if m >= 2*c {
		least = 2
	}
	for i := range g.msgsPerConv {
		g.msgsPerConv[i] = least
	}
	for range m - int(least)*c {
		g.msgsPerConv[r.IntN(c)]++
	}
}

func (g *generator) conversations() int { return len(g.msgsPerConv) }

// makeAgents draws the tenant's staff: the owner (owner@domain), then agent1@domain ... with
// agent1 and agent2 admins.
func (g *generator) makeAgents() {
	g.agents = make([]person, agentCount)
	used := map[string]bool{}
	for i := range g.agents {
		r := g.at(streamAgent, i)
		a := &g.agents[i]
		a.id = g.agentBase + int64(i)
		pool := pick(r, namePools)
		for {
			a.first = pick(r, pool.first)
			a.name = a.first + " " + pick(r, pool.last)
			if !used[a.name] {
				break
			}
		}
		used[a.name] = true
		a.locale = pool.locale
		switch {
		case i == 0:
			a.role, a.email = "owner", "owner@"+g.domain
		case i <= adminCount:
			a.role, a.email = "admin", "agent"+strconv.Itoa(i)+"@"+g.domain
		default:
			a.role, a.email = "agent", "agent"+strconv.Itoa(i)+"@"+g.domain
		}
	}
}

// UserEmail is the email of the demo tenant's end-user number i (from 1).
func UserEmail(i int) string { return "visitor" + strconv.Itoa(i) + "@example.com" }

// user draws end-user u (from 0) and the profile columns that only the end_users table needs.
func (g *generator) user(u int) (p person, row []any) {
	r := g.at(streamUser, u)
	pool := pick(r, namePools)
	p = person{
		id:     g.userBase + int64(u),
		role:   "end_user",
		first:  pick(r, pool.first),
		email:  UserEmail(u + 1),
		locale: pool.locale,
	}
	// A middle initial and, for about half, a second surname: real customer bases have
	// far more distinct names than a few pools of first and last names give, and a
	// subject's name should mostly be theirs alone.
	last := pick(r, pool.last)
	if r.IntN(2) == 0 {
		last += "-" + pick(r, pool.last)
	}
	p.name = p.first + " " + string(rune('A'+r.IntN(26))) + ". " + last

	var displayName, avatar, phone, ip any
	switch x := r.IntN(10); {
	case x < 5:
		displayName = p.first
	case x < 8:
		initial, _ := utf8.DecodeRuneInString(last)
		displayName = p.first + " " + string(initial) + "."
	}
	if r.IntN(10) < 4 {
		avatar = fmt.Sprintf("https://avatars.example.com/u/%016x.png", r.Uint64())
	}
	if r.IntN(10) < 3 {
		phone = fmt.Sprintf("%s%02d %02d %02d", pool.phone, r.IntN(100), r.IntN(100), r.IntN(100))
	}
	p.phone, _ = phone.(string)
	locale := pool.locale
	if r.IntN(100) < 15 {
		locale = "en-GB"
	}
	prefix := pick(r, ipPrefixes)
	ip = prefix + strconv.Itoa(1+r.IntN(254))
	created := Epoch.Add(time.Duration(r.Int64N(int64(30 * day))))
	updated := created.Add(time.Duration(r.Int64N(int64(300 * day))))
	row = []any{p.id, g.tenantID, p.email, p.name, displayName, avatar, phone, locale, ip, pick(r, userAgents), created, updated}
	return p, row
}

// conversation draws conversation ci (from 0), the j-th of end-user u's n conversations.
func (g *generator) conversation(ci, firstMessage int, u *person, userIndex, j, n int) conversation {
	r := g.at(streamConversation, ci)
	c := conversation{
		id:           g.convBase + int64(ci),
		index:        ci,
		user:         u,
		messages:     int(g.msgsPerConv[ci]),
		firstMessage: firstMessage,
	}
	if r.IntN(100) < 5 {
		c.agent = &g.agents[0]
	} else {
		c.agent = &g.agents[1+r.IntN(agentCount-1)]
	}
	open := r.IntN(100) < 10
	switch userIndex {
	case 0: // visitor1 always has an open conversation: their last one
		open = j == n-1
	case 1: // visitor2 never has one
		open = false
	}
	c.open = open
	c.topic = &topics[r.IntN(len(topics))]
	c.channel = pick(r, channels)
	if open {
		c.created = Epoch.Add(358*day + time.Duration(r.Int64N(int64(6*day))))
	} else {
		c.created = Epoch.Add(30*day + time.Duration(r.Int64N(int64(325*day))))
	}
	c.step = 30*time.Second + time.Duration(r.Int64N(int64(4*time.Minute)))
	closeDelay := 5*time.Minute + time.Duration(r.Int64N(int64(55*time.Minute)))
	if !open {
		c.closed = c.created.Add(time.Duration(c.messages)*c.step + closeDelay)
	}
	c.order = fmt.Sprintf("#A%06d", r.IntN(1000000))
	c.day = pick(r, days)
	return c
}

func (c *conversation) row(tenantID string) []any {
	var closed any
	status := "open"
	if !c.open {
		status, closed = "closed", c.closed
	}
	return []any{c.id, tenantID, c.user.id, c.agent.id, status, c.topic.subject, c.channel, c.created, closed}
}

// message draws the metadata of message pos of conversation c: end-user and agent take
// turns, the end-user first.
func (g *generator) message(c *conversation, pos int) message {
	idx := c.firstMessage + pos
	r := g.at(streamMessage, idx)
	m := message{id: g.msgBase + int64(idx), index: idx, pos: pos, conv: c, kind: "end_user", author: c.user}
	if pos%2 == 1 {
		m.kind, m.author = "agent", c.agent
	}
	m.created = c.created.Add(time.Duration(pos)*c.step + time.Duration(r.Int64N(int64(c.step/2))))
	return m
}

// body writes the text of message m.
func (g *generator) body(m *message) string {
	r := g.at(streamBody, m.index)
	c := m.conv
	last := m.pos == c.messages-1 && !c.open && c.messages >= 3
	b := g.buf[:0]
	switch {
	case m.pos == 0:
		b = append(b, pick(r, greetings)...)
		b = append(b, ", "...)
		if r.IntN(100) < 35 {
			b = g.expand(b, pick(r, selfIntroductions), m)
		}
		b = g.expand(b, pick(r, c.topic.opening), m)
	case m.pos == 1:
		b = g.expand(b, "Hi {first}, thanks for reaching out! I'm {agent} from {tenant}. ", m)
		b = g.expand(b, pick(r, c.topic.help), m)
	case last && m.kind == "agent":
		b = g.expand(b, pick(r, agentClosings), m)
	case last:
		b = g.expand(b, pick(r, endUserClosings), m)
	case m.kind == "agent":
		b = g.expand(b, pick(r, agentReplies), m)
		if r.IntN(3) == 0 {
			b = append(b, ' ')
			b = g.expand(b, pick(r, c.topic.help), m)
		}
	default:
		b = g.expand(b, pick(r, followUps), m)
	}
	g.buf = b
	return string(b)
}

// expand appends template t with {first}, {name}, {email}, {agent}, {tenant}, {order} and
// {day} replaced.
func (g *generator) expand(b []byte, t string, m *message) []byte {
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			return append(b, t...)
		}
		b = append(b, t[:i]...)
		t = t[i:]
		j := strings.IndexByte(t, '}')
		switch key := t[1:j]; key {
		case "first":
			b = append(b, m.conv.user.first...)
		case "name":
			b = append(b, m.conv.user.name...)
		case "email":
			b = append(b, m.conv.user.email...)
		case "agent":
			b = append(b, m.conv.agent.first...)
		case "tenant":
			b = append(b, g.tenantName...)
		case "order":
			b = append(b, m.conv.order...)
		case "day":
			b = append(b, m.conv.day...)
		default:
			b = append(b, t[:j+1]...)
		}
		t = t[j+1:]
	}
}

// attachment draws whether message m carries a file (about 3% do) and its row.
func (g *generator) attachment(m *message) ([]any, bool) {
	r := g.at(streamAttachment, m.index)
	if r.IntN(1000) >= 30 {
		return nil, false
	}
	kinds := endUserFiles
	if m.kind == "agent" {
		kinds = agentFiles
	}
	k := pick(r, kinds)
	filename := pick(r, k.names) + "." + k.ext
	size := int64(k.minKB+r.IntN(k.maxKB-k.minKB+1))*1024 + r.Int64N(1024)
	key := fmt.Sprintf("tenants/%s/attachments/%016x%016x", g.tenantID, r.Uint64(), r.Uint64())
	return []any{m.id, filename, k.contentType, size, key, m.created}, true
}

// tokenHash draws the SHA-256 of a random token: the chat store keeps hashes only.
func tokenHash(r *rand.Rand) string {
	var raw [32]byte
	for i := 0; i < len(raw); i += 8 {
		v := r.Uint64()
		for k := range 8 {
			raw[i+k] = byte(v >> (8 * k))
		}
	}
	sum := sha256.Sum256(raw[:])
	return hex.EncodeToString(sum[:])
}

// holder is an end-user or agent owning tokens, sessions and saved searches.
type holder struct {
	endUser any // id or nil
	agent   any // id or nil
	index   int // stream index: end-users from 0, agents after all end-users
	forced  bool
}

// tokens draws a holder's OAuth tokens: every agent has one (Slack or Google sign-in), about
// 15% of end-users signed in with a social provider, visitor1 among them.
func (g *generator) tokens(h holder, emit func(...any) error) error {
	r := g.at(streamToken, h.index)
	provider, scopes := pick(r, endUserProviders), "openid email profile"
	if h.agent != nil {
		provider, scopes = pick(r, []string{"slack", "google"}), "openid email chat:write users:read"
	} else if !h.forced && r.IntN(100) >= 15 {
		return nil
	}
	created := Epoch.Add(time.Duration(r.Int64N(int64(360 * day))))
	expires := created.Add(time.Hour + time.Duration(r.Int64N(int64(90*day))))
	return emit(g.tenantID, h.endUser, h.agent, provider, tokenHash(r), scopes, expires, created)
}

// sessions draws a holder's sessions: two to four per agent, one or two for half of the
// end-users (visitor1 always).
func (g *generator) sessions(h holder, emit func(...any) error) error {
	r := g.at(streamSession, h.index)
	n := 0
	switch {
	case h.agent != nil:
		n = 2 + r.IntN(3)
	case h.forced || r.IntN(2) == 0:
		n = 1 + r.IntN(2)
	}
	for range n {
		created := Epoch.Add(time.Duration(r.Int64N(int64(360 * day))))
		seen := created.Add(time.Duration(r.Int64N(int64(3 * day))))
		ip := pick(r, ipPrefixes) + strconv.Itoa(1+r.IntN(254))
		if err := emit(g.tenantID, h.endUser, h.agent, ip, pick(r, userAgents), created, seen); err != nil {
			return err
		}
	}
	return nil
}

// searches draws a holder's saved searches: one to three per agent, one for about 5% of the
// end-users (visitor1 always).
func (g *generator) searches(h holder, emit func(...any) error) error {
	r := g.at(streamSearch, h.index)
	created := Epoch.Add(time.Duration(r.Int64N(int64(360 * day))))
	if h.agent != nil {
		start := r.IntN(len(agentSearches))
		for k := range 1 + r.IntN(3) {
			s := agentSearches[(start+k)%len(agentSearches)]
			if err := emit(g.tenantID, nil, h.agent, s.name, s.query, created.Add(time.Duration(k)*day)); err != nil {
				return err
			}
		}
		return nil
	}
	if !h.forced && r.IntN(100) >= 5 {
		return nil
	}
	s := pick(r, endUserSearches)
	return emit(g.tenantID, h.endUser, nil, s.name, s.query, created)
}
