package chatstore

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"dsr/connectors"
	"dsr/internal/domain"
)

// Keys of Outcome.Rows for an erasure. A table name counts the rows deleted from it; the
// *_cleared keys count rows that stay with the controller with the subject's columns set to
// NULL.
const (
	RowsEndUsers                      = "end_users"
	RowsAgents                        = "agents"
	RowsConversations                 = "conversations"
	RowsMessages                      = "messages"
	RowsAttachments                   = "attachments"
	RowsOAuthTokens                   = "oauth_tokens"
	RowsSessions                      = "sessions"
	RowsSavedSearches                 = "saved_searches"
	RowsMessagesAuthorCleared         = "messages_author_cleared"
	RowsConversationsRequesterCleared = "conversations_requester_cleared"
	RowsConversationsAgentCleared     = "conversations_agent_cleared"
)

// OwnerException is recorded when the subject is the tenant's account owner, whose staff
// profile is kept while the account exists. The ground is not an exception of Art. 17(3)
// (no legal obligation requires it) but that no ground of Art. 17(1) applies: under (a) the
// data are still necessary for the purpose they were collected for, the contract with the
// account's holder (Art. 6(1)(b)).
var OwnerException = domain.Exception{
	Category: "agent_profile",
	Article:  "Art. 17(1)(a), Art. 6(1)(b)",
	Reason:   "account owner: the owner's identity is still necessary to perform the contract for the account while it exists, so the right to erasure does not apply to it yet; erase it when the account is closed or ownership is transferred",
}

// Notes of an erasure. They carry counts at most, never personal data.
const (
	noteBodiesKept      = "scope profile: conversations and message bodies stay with the controller (the requester and the author name and id on the subject's messages were set to NULL); bodies may still mention the subject"
	noteAgentNameKept   = "scope profile: transcripts keep messages.author_name on %d message(s) the agent wrote; erase with scope full to clear it"
	noteAgentNameGone   = "scope full: author name and id cleared on the agent's messages; the messages stay in the controller's transcripts"
	noteOverride        = "erased on DPO override despite %d open conversation(s)"
	noteFullWithAgents  = "scope full: the subject's conversations were deleted with every message in them, agents' replies included"
	noteOwnerNotRemoved = "the account owner's staff profile, tokens, sessions and saved searches were kept (see exceptions)"
)

// Set-based statements of an erasure. $1 are the end_users ids, $2 the agents ids.
const (
	// A full erasure of end-users deletes, children first, the attachments of the messages
	// of their conversations and of those they wrote in other conversations (one statement:
	// a row matched twice is deleted and counted once), then those messages.
	deleteAttachmentsSQL = `DELETE FROM attachments a USING (
    SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.requester_id = ANY($1::bigint[])
    UNION ALL
    SELECT m.id FROM messages m WHERE m.author_kind = 'end_user' AND m.author_id = ANY($1::bigint[])) s
    WHERE a.message_id = s.id`
	deleteOwnConversationMessagesSQL = `DELETE FROM messages WHERE conversation_id IN (
    SELECT id FROM conversations WHERE requester_id = ANY($1::bigint[]))`
	deleteAuthoredMessagesSQL = `DELETE FROM messages WHERE author_kind = 'end_user' AND author_id = ANY($1::bigint[])`
	deleteConversationsSQL    = `DELETE FROM conversations WHERE requester_id = ANY($1::bigint[])`
	clearRequesterSQL         = `UPDATE conversations SET requester_id = NULL WHERE requester_id = ANY($1::bigint[])`
	clearEndUserAuthorSQL     = `UPDATE messages SET author_name = NULL, author_id = NULL
    WHERE author_kind = 'end_user' AND author_id = ANY($1::bigint[])`
	clearAgentAuthorSQL = `UPDATE messages SET author_name = NULL, author_id = NULL
    WHERE author_kind = 'agent' AND author_id = ANY($1::bigint[])`
	countAgentMessagesSQL = `SELECT count(*) FROM messages WHERE author_kind = 'agent' AND author_id = ANY($1::bigint[])`
	clearAgentSQL         = `UPDATE conversations SET agent_id = NULL WHERE agent_id = ANY($1::bigint[])`
)

// Erase deletes the subject's data in one transaction, for req.ErasureScope (empty means
// connectors.ScopeProfile):
//
//   - End-user, scope profile: OAuth tokens, sessions, saved searches and the end_users row
//     are deleted; their conversations stay with requester_id NULL and their messages stay
//     with author_name and author_id NULL. Scope full also deletes their conversations with
//     every message and attachment in them, and the messages (with attachments) they wrote in
//     other conversations.
//   - An end-user who is the requester on open conversations makes Erase fail with
//     connectors.ErrBlocked unless req.Override is set.
//   - Agent or admin: OAuth tokens, sessions, saved searches and the agents row are deleted
//     and conversations.agent_id is set to NULL. Transcripts keep author_name (a note says
//     so) unless the scope is full, which sets author_name and author_id NULL on their
//     messages.
//   - Account owner: nothing of the staff profile is deleted; Outcome.Exceptions records
//     OwnerException.
//   - Unknown subject: an outcome with no rows and a note, not an error.
//   - Attachment files: with an object store (WithObjects), a full erasure queues the
//     storage keys of the attachments rows it deletes in dsr_object_deletions, in the same
//     transaction, except keys that remaining attachments rows still point at. After the
//     commit it deletes those objects and unqueues their keys; if that fails, Erase returns
//     the error and the retry of the same request (which replays the receipt) deletes what
//     is left. Outcome.Rows[RowsAttachmentObjects] counts the objects; a successful Erase
//     means they are gone.
//
// Outcome.Rows counts rows per table as the Rows* constants describe.
func (c *Connector) Erase(ctx context.Context, req connectors.Request) (domain.Outcome, error) {
	scope, err := connectors.CheckScope(req.ErasureScope)
	if err != nil {
		return domain.Outcome{}, fmt.Errorf("erase for request %s: %w", req.ID, err)
	}
	full := scope == domain.ScopeFull
	queue := "" // the request id under which attachment files are queued for deletion
	if c.objects != nil {
		queue = req.ID
	}
	out, err := c.apply(ctx, req, domain.Erasure, func(ctx context.Context, tx *sqlx.Tx, subj subject, out *domain.Outcome) error {
		if len(subj.EndUsers) > 0 {
			if err := eraseEndUsers(ctx, tx, subj.EndUsers, full, req.Override, queue, out); err != nil {
				return err
			}
		}
		if staff := subj.agentIDs(isNotOwner); len(staff) > 0 {
			if err := eraseAgents(ctx, tx, staff, full, out); err != nil {
				return err
			}
		}
		if len(subj.agentIDs(isOwner)) > 0 {
			out.Exceptions = append(out.Exceptions, OwnerException)
			out.Notes = append(out.Notes, noteOwnerNotRemoved)
		}
		return nil
	})
	if err != nil || c.objects == nil {
		return out, err
	}
	// Also on a replay: an earlier attempt may have committed and then failed here.
	if err := c.deleteObjects(ctx, req.ID); err != nil {
		return domain.Outcome{}, fmt.Errorf("erase for request %s: %w", req.ID, err)
	}
	return out, nil
}

// step is one counted statement of an erasure.
type step struct {
	key   string
	what  string
	query string
}

func runSteps(ctx context.Context, tx *sqlx.Tx, ids []int64, out *domain.Outcome, steps []step) error {
	arg := pq.Array(ids)
	for _, s := range steps {
		n, err := exec(ctx, tx, s.what, s.query, arg)
		if err != nil {
			return err
		}
		out.Rows[s.key] += n
	}
	return nil
}

// eraseEndUsers erases end-users. With queue set (the request id, when an object store is
// configured), a full erasure also queues the attachment files to delete.
func eraseEndUsers(ctx context.Context, tx *sqlx.Tx, ids []int64, full, override bool, queue string, out *domain.Outcome) error {
	var open int64
	if err := tx.GetContext(ctx, &open, openConversationsSQL, pq.Array(ids)); err != nil {
		return fmt.Errorf("count open conversations: %w", err)
	}
	if open > 0 {
		if !override {
			return fmt.Errorf("end-user is the requester on %d open conversation(s): %w", open, connectors.ErrBlocked)
		}
		out.Notes = append(out.Notes, fmt.Sprintf(noteOverride, open))
	}
	var steps []step
	if full {
		// Children first, so that every deleted row is counted by the statement that
		// deletes it rather than by a cascade.
		if queue != "" {
			if err := deleteAttachmentsQueued(ctx, tx, ids, queue, out); err != nil {
				return err
			}
		} else {
			steps = append(steps,
				step{RowsAttachments, "delete the attachments of the end-user's messages and conversations", deleteAttachmentsSQL},
			)
		}
		steps = append(steps,
			step{RowsMessages, "delete the messages of the end-user's conversations", deleteOwnConversationMessagesSQL},
			step{RowsMessages, "delete the end-user's other messages", deleteAuthoredMessagesSQL},
			step{RowsConversations, "delete the end-user's conversations", deleteConversationsSQL},
		)
		out.Notes = append(out.Notes, noteFullWithAgents)
	} else {
		steps = append(steps,
			step{RowsConversationsRequesterCleared, "clear the requester of the end-user's conversations", clearRequesterSQL},
		)
		out.Notes = append(out.Notes, noteBodiesKept)
	}
	if full {
		// Every message they wrote is deleted above: none is left to clear.
		out.Rows[RowsMessagesAuthorCleared] += 0
	} else {
		steps = append(steps, step{RowsMessagesAuthorCleared, "clear the author of the end-user's messages", clearEndUserAuthorSQL})
	}
	if err := runSteps(ctx, tx, ids, out, steps); err != nil {
		return err
	}
	if err := deleteOwned(ctx, tx, "end_user_id", "the end-user's", ids, out); err != nil {
		return err
	}
	if err := runSteps(ctx, tx, ids, out, []step{
		{RowsEndUsers, "delete the end-user", `DELETE FROM end_users WHERE id = ANY($1::bigint[])`},
	}); err != nil {
		return err
	}
	if full && queue == "" && out.Rows[RowsAttachments] > 0 {
		out.Notes = append(out.Notes, fmt.Sprintf(noteNoObjectStore, out.Rows[RowsAttachments]))
	}
	return nil
}

func eraseAgents(ctx context.Context, tx *sqlx.Tx, ids []int64, full bool, out *domain.Outcome) error {
	var steps []step
	if full {
		steps = append(steps, step{RowsMessagesAuthorCleared, "clear the author of the agent's messages", clearAgentAuthorSQL})
		out.Notes = append(out.Notes, noteAgentNameGone)
	} else {
		var kept int64
		if err := tx.GetContext(ctx, &kept, countAgentMessagesSQL, pq.Array(ids)); err != nil {
			return fmt.Errorf("count the agent's messages: %w", err)
		}
		out.Notes = append(out.Notes, fmt.Sprintf(noteAgentNameKept, kept))
	}
	steps = append(steps, step{RowsConversationsAgentCleared, "unassign the agent's conversations", clearAgentSQL})
	if err := runSteps(ctx, tx, ids, out, steps); err != nil {
		return err
	}
	if err := deleteOwned(ctx, tx, "agent_id", "the agent's", ids, out); err != nil {
		return err
	}
	return runSteps(ctx, tx, ids, out, []step{{RowsAgents, "delete the agent", `DELETE FROM agents WHERE id = ANY($1::bigint[])`}})
}

// deleteOwned deletes the OAuth tokens, sessions and saved searches whose column (end_user_id
// or agent_id) is one of ids, in one statement, and counts each.
func deleteOwned(ctx context.Context, tx *sqlx.Tx, column, whose string, ids []int64, out *domain.Outcome) error {
	query := `WITH t AS (DELETE FROM oauth_tokens WHERE ` + column + ` = ANY($1::bigint[]) RETURNING 1),
    s AS (DELETE FROM sessions WHERE ` + column + ` = ANY($1::bigint[]) RETURNING 1),
    q AS (DELETE FROM saved_searches WHERE ` + column + ` = ANY($1::bigint[]) RETURNING 1)
SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM s), (SELECT count(*) FROM q)`
	var tokens, sessions, searches int64
	if err := tx.QueryRowxContext(ctx, query, pq.Array(ids)).Scan(&tokens, &sessions, &searches); err != nil {
		return fmt.Errorf("delete %s oauth tokens, sessions and saved searches: %w", whose, err)
	}
	out.Rows[RowsOAuthTokens] += tokens
	out.Rows[RowsSessions] += sessions
	out.Rows[RowsSavedSearches] += searches
	return nil
}
