package demo

// Pools of synthetic content. Names are common given and family names of the languages the
// product's tenants serve; none of it describes a real person.

type namePool struct {
	locale string
	phone  string // country calling code and the first digits of a mobile number
	first  []string
	last   []string
}

var namePools = []namePool{
	{"en-GB", "+44 7700 9", []string{"Jane", "Oliver", "Amelia", "Harry", "Grace", "Jack", "Isla", "George"},
		[]string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Evans", "Walker", "Wright"}},
	{"fr-FR", "+33 6 12 ", []string{"Camille", "Léa", "Hugo", "Louis", "Chloé", "Théo", "Manon", "Inès"},
		[]string{"Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Laurent", "Girard", "Rousseau"}},
	{"de-DE", "+49 151 2", []string{"Lukas", "Anna", "Jonas", "Lea", "Felix", "Mia", "Jürgen", "Sophie"},
		[]string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Schäfer"}},
	{"es-ES", "+34 612 ", []string{"Lucía", "Mateo", "Sofía", "Martín", "Paula", "Álvaro", "Carmen", "Javier"},
		[]string{"García", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Ruiz"}},
	{"it-IT", "+39 312 ", []string{"Giulia", "Lorenzo", "Alessandro", "Chiara", "Francesca", "Matteo", "Sara", "Davide"},
		[]string{"Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"}},
	{"pl-PL", "+48 512 ", []string{"Zofia", "Jakub", "Wojciech", "Agnieszka", "Łukasz", "Katarzyna", "Piotr", "Maja"},
		[]string{"Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński"}},
	{"nl-NL", "+31 6 12", []string{"Daan", "Sanne", "Femke", "Bram", "Lotte", "Sem", "Noor", "Thijs"},
		[]string{"de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer"}},
	{"pt-PT", "+351 912 ", []string{"João", "Inês", "Beatriz", "Tiago", "Mariana", "Rodrigo", "Leonor", "Diogo"},
		[]string{"Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Martins"}},
	{"sv-SE", "+46 70 12", []string{"Astrid", "Erik", "Linnea", "Oskar", "Elsa", "Nils", "Ebba", "Axel"},
		[]string{"Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson"}},
	{"fi-FI", "+358 40 1", []string{"Aino", "Eino", "Veera", "Leevi", "Helmi", "Onni", "Siiri", "Väinö"},
		[]string{"Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen"}},
	{"el-GR", "+30 69 12", []string{"Eleni", "Giorgos", "Dimitra", "Nikos", "Maria", "Kostas", "Sofia", "Yannis"},
		[]string{"Papadopoulos", "Pappas", "Oikonomou", "Georgiou", "Vasileiou", "Nikolaou", "Karagiannis", "Dimitriou"}},
	{"cs-CZ", "+420 601 ", []string{"Tereza", "Jan", "Eliška", "Tomáš", "Adéla", "Ondřej", "Klára", "Vojtěch"},
		[]string{"Novák", "Svoboda", "Novotný", "Dvořák", "Černý", "Procházka", "Kučera", "Veselý"}},
}

var userAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
	"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36 Edg/124.0",
}

// ipPrefixes are documentation address ranges (RFC 5737, RFC 3849).
var ipPrefixes = []string{"192.0.2.", "198.51.100.", "203.0.113.", "2001:db8::"}

var channels = []string{"web", "web", "web", "web", "web", "web", "web", "email", "slack", "whatsapp"}

// topic is what a conversation is about: its subject line, how the visitor opens it and how
// an agent helps.
type topic struct {
	subject string
	opening []string
	help    []string
}

var topics = []topic{
	{"Order not delivered", []string{
		"my order #{order} still hasn't arrived and the tracking page hasn't changed for a week.",
		"I ordered on the {day} and nothing has shown up yet. Order number {order}.",
	}, []string{
		"I can see the parcel is held at the local depot; I've asked the carrier to redeliver it.",
		"It looks like the parcel was lost in transit, so I've shipped a replacement at no cost.",
	}},
	{"Invoice question", []string{
		"the last invoice shows two charges for the same month, can you check?",
		"I need the invoice for order {order} with our company VAT number on it.",
	}, []string{
		"You're right, the second charge was a duplicate; I've refunded it, it takes 3-5 business days.",
		"I've reissued the invoice with your VAT number, you'll find it under Billing > Invoices.",
	}},
	{"Cannot log in", []string{
		"I can't log in, it says my password is wrong but I just reset it.",
		"the login page keeps sending me back to the start after I enter the code.",
	}, []string{
		"Your account was locked after too many attempts; I've unlocked it, please try again.",
		"Could you clear your browser cookies and try once more? The session had expired.",
	}},
	{"Change subscription plan", []string{
		"we'd like to move from the Starter plan to Team, how does billing work for the rest of the month?",
		"can I downgrade to the monthly plan when the yearly one renews?",
	}, []string{
		"The change is prorated: you'll only pay the difference for the remaining days.",
		"Yes, I've scheduled the switch for your renewal date, nothing changes until then.",
	}},
	{"Refund request", []string{
		"I returned the item two weeks ago and haven't seen the refund yet.",
		"I'd like a refund for order {order}, the size doesn't fit.",
	}, []string{
		"The refund was issued today; depending on your bank it shows within a few days.",
		"I've created a return label for you, you'll get it by email in a minute.",
	}},
	{"Bug report: checkout page", []string{
		"the checkout page freezes when I click Pay with the saved card.",
		"the discount code field throws an error on mobile.",
	}, []string{
		"Thanks for the report, our developers found the issue and a fix is being deployed.",
		"I've passed this to the engineering team with your details; meanwhile the desktop site works.",
	}},
	{"Shipping abroad", []string{
		"do you ship to Switzerland, and are customs fees included?",
		"how long does delivery to Portugal usually take?",
	}, []string{
		"We do, and customs fees are included at checkout so there's nothing to pay on delivery.",
		"Usually 3 to 5 working days with tracking.",
	}},
	{"API rate limits", []string{
		"our integration keeps getting HTTP 429 from the API since yesterday.",
		"what are the rate limits on the Team plan?",
	}, []string{
		"Your key was on the default limit; I've raised it to 600 requests per minute.",
		"The Team plan allows 600 requests per minute per key; the docs list the headers to watch.",
	}},
	{"Update my details", []string{
		"I moved, can you update the delivery address on my account?",
		"my phone number changed, where do I update it?",
	}, []string{
		"Done, the new address is saved and will be used for your next order.",
		"You can change it under Settings > Profile; I've updated it for you this time.",
	}},
	{"Product question", []string{
		"is the blue model available in size M again soon?",
		"does the Pro version work offline?",
	}, []string{
		"It's back in stock next week; I can notify you by email when it is.",
		"Yes, everything except sync works offline.",
	}},
}

var greetings = []string{"Hi", "Hello", "Hey", "Good morning", "Hi there", "Bonjour", "Hallo", "Hola", "Ciao", "Hej"}

// selfIntroductions include the visitor's name: identity inside message bodies is what an
// erasure of transcripts has to find.
var selfIntroductions = []string{
	"I'm {first}, ",
	"my name is {name} and ",
	"this is {first} here, ",
	"{first} again, ",
}

var followUps = []string{
	"Thanks, that was quick!",
	"I tried that but it still doesn't work.",
	"Sure, the order number is {order}.",
	"Here's a screenshot of the error.",
	"OK, I'll wait then.",
	"Can you confirm by email?",
	"My account email is {email}, if that helps.",
	"Is there anything else you need from me?",
	"Perfect, it works now.",
	"Could you also check my other order?",
	"That's great news.",
	"Sorry, I was away. Yes, that's correct.",
}

var agentReplies = []string{
	"Let me check that for you.",
	"Thanks for your patience, {first}.",
	"Could you send me a screenshot of what you see?",
	"I've escalated this to the billing team, they'll get back to you today.",
	"Can you try again now and let me know?",
	"I can see your order {order} here.",
	"No problem at all.",
	"One moment please, I'm looking into it.",
	"I've added a note to your account so my colleagues know the context.",
	"That's sorted now.",
}

var endUserClosings = []string{
	"Thanks {agent}, that's all I needed!",
	"Great, thank you for the help.",
	"Perfect, have a nice day!",
}

var agentClosings = []string{
	"Glad I could help, have a nice day {first}!",
	"You're welcome! I'll close this conversation, just write again if anything comes up.",
	"Happy to help. Take care, {first}!",
}

var days = []string{"3rd", "5th", "9th", "12th", "14th", "18th", "21st", "27th"}

type attachmentKind struct {
	ext         string
	contentType string
	names       []string
	minKB       int
	maxKB       int
}

var endUserFiles = []attachmentKind{
	{"png", "image/png", []string{"screenshot", "error", "Screenshot 2025-03-14 at 10.22.31", "IMG_2041"}, 40, 2400},
	{"jpg", "image/jpeg", []string{"photo", "parcel", "damaged-item", "IMG_0457"}, 200, 5200},
	{"pdf", "application/pdf", []string{"invoice", "receipt", "order-confirmation", "bank-statement"}, 30, 900},
	{"txt", "text/plain", []string{"console-log", "error-details"}, 1, 60},
}

var agentFiles = []attachmentKind{
	{"pdf", "application/pdf", []string{"return-label", "user-guide", "invoice-corrected", "warranty-terms"}, 40, 1200},
	{"png", "image/png", []string{"settings-howto", "where-to-click"}, 60, 900},
}

var agentSearches = []struct{ name, query string }{
	{"My open conversations", "status:open assignee:me"},
	{"Unassigned", "status:open assignee:none"},
	{"Billing", "tag:billing status:open"},
	{"Waiting > 24h", "status:open waiting:>24h"},
	{"VIP customers", "segment:vip"},
	{"Refunds this week", "tag:refund created:>-7d"},
}

var endUserSearches = []struct{ name, query string }{
	{"Returns", "return policy"},
	{"Delivery times", "delivery time europe"},
	{"Password", "reset password"},
}

var endUserProviders = []string{"google", "apple", "facebook", "microsoft"}
