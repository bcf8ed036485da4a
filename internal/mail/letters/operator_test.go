package letters

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
)

func TestOperatorVendorTask(t *testing.T) {
	t.Parallel()
	data := func(typ domain.RequestType, reminder bool, values ...map[string]string) map[string]any {
		type newValue struct{ Field, Value string }
		var vs []newValue
		for _, v := range values {
			vs = append(vs, newValue{v["field"], v["value"]})
		}
		return map[string]any{"Reminder": reminder, "Ref": "DSR-1a2b3c4d", "Type": typ, "Purposes": "marketing, profiling",
			"Purpose": "surveys", "Email": "jane@example.com", "DPADate": "2024-01-01", "NewValues": vs}
	}
	m, err := Operator(VendorTask, data(domain.Erasure, false))
	require.NoError(t, err)
	require.Equal(t, "[DSR-1a2b3c4d] Data-subject request: please erase", m.Subject)
	require.Equal(t, "Hello,\n\nas our sub-processor (surveys), please erase all personal data you hold about the data subject with the email address\n\n"+
		"  jane@example.com\n\nunder Art. 28(3)(e) GDPR and our data processing agreement of 2024-01-01.\n\n"+
		"Please reply to this mail, keeping the reference DSR-1a2b3c4d in the subject, once it is done.\n\nPrivacy team\n", m.Body)

	m, err = Operator(VendorTask, data(domain.Rectification, true, map[string]string{"field": "name", "value": "Jo"}))
	require.NoError(t, err)
	require.Equal(t, "Reminder: [DSR-1a2b3c4d] Data-subject request: please rectify", m.Subject)
	require.Contains(t, m.Body, "of 2024-01-01.\n\nNew values:\n  name: Jo\n\nPlease reply")

	for typ, verb := range map[domain.RequestType]string{domain.Restriction: "restrict", domain.Objection: "stop"} {
		m, err := Operator(VendorTask, data(typ, false))
		require.NoError(t, err)
		require.Equal(t, "[DSR-1a2b3c4d] Data-subject request: please "+verb, m.Subject)
	}
	m, err = Operator(VendorTask, data(domain.Objection, false))
	require.NoError(t, err)
	require.Contains(t, m.Body, "please stop processing, for marketing, profiling, the personal data you hold about")
}

func TestOperatorMailsRender(t *testing.T) {
	t.Parallel()
	m, err := Operator(DPOSLAReport, map[string]any{"From": "2026-11-30", "To": "2026-12-06", "Received": 3, "Closed": 2, "Breaches": 1, "AtRisk": 0})
	require.NoError(t, err)
	require.Equal(t, "SLA report 2026-11-30 to 2026-12-06", m.Subject)
	require.Equal(t, "The SLA report of 2026-11-30 to 2026-12-06 is attached.\n\nReceived: 3. Closed: 2. Target breaches: 1. Open and at risk now: 0.\n", m.Body)

	m, err = Operator(SubjectExtended, map[string]any{"Type": domain.Access, "Ref": "DSR-1", "Due": "2027-03-01", "Reason": "many systems"})
	require.NoError(t, err)
	require.Equal(t, "[DSR-1] Your request: more time needed", m.Subject)
	require.Contains(t, m.Body, "Your access request (reference DSR-1) needs more time than usual.\n\nUnder Article 12(3) GDPR the time to answer it is extended to 2027-03-01.\nReason: many systems\n")

	_, err = Operator(SubjectExtended, map[string]any{"Type": domain.Access})
	require.Error(t, err, "a missing value is an error, not an empty place in the mail")
}
