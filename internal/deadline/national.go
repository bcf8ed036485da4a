package deadline

import (
	"slices"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/aa"
	"github.com/rickar/cal/v2/br"
	"github.com/rickar/cal/v2/ca"
	"github.com/rickar/cal/v2/dk"
	"github.com/rickar/cal/v2/it"
	"github.com/rickar/cal/v2/nl"
	"github.com/rickar/cal/v2/pl"
	"github.com/rickar/cal/v2/ro"
	"github.com/rickar/cal/v2/se"
	"github.com/rickar/cal/v2/sk"
)

// This file holds the national holiday lists that are not rickar/cal's
// list as it stands: countries rickar/cal v2.1.13 lacks, built from its
// primitives (cal.Holiday with CalcDayOfMonth, CalcWeekdayFrom,
// CalcWeekdayOffset, CalcEasterOffset and the aa package's Easter-based
// holidays), and rickar lists corrected to the official national list.
// Each list cites the statute or government page it follows. None of these
// countries moves a holiday that falls on a weekend unless said so.

// fixedDay is a holiday on the same day every year.
func fixedDay(name string, month time.Month, day int) *cal.Holiday {
	return &cal.Holiday{Name: name, Type: cal.ObservancePublic, Month: month, Day: day, Func: cal.CalcDayOfMonth}
}

// weekdayOnOrAfter is a holiday on the first weekday wd on or after
// month/day (e.g. the first Thursday after 18 April: on or after 19 April).
func weekdayOnOrAfter(name string, month time.Month, day int, wd time.Weekday) *cal.Holiday {
	return &cal.Holiday{Name: name, Type: cal.ObservancePublic, Month: month, Day: day,
		Weekday: wd, Offset: 1, Func: cal.CalcWeekdayFrom}
}

// nthWeekday is a holiday on the nth weekday wd of month (n < 0 counts from
// the end).
func nthWeekday(name string, month time.Month, wd time.Weekday, n int) *cal.Holiday {
	return &cal.Holiday{Name: name, Type: cal.ObservancePublic, Month: month,
		Weekday: wd, Offset: n, Func: cal.CalcWeekdayOffset}
}

// named is h (a rickar definition) under a local name.
func named(h *cal.Holiday, name string) *cal.Holiday {
	return h.Clone(&cal.Holiday{Name: name, Type: cal.ObservancePublic})
}

// from is h observed only from the given year on.
func from(h *cal.Holiday, year int) *cal.Holiday {
	c := h.Clone(nil)
	c.StartYear = year
	return c
}

// monthDay is a date within a year, for tables of holidays that follow a
// lunar or astronomical calendar.
type monthDay struct {
	month time.Month
	day   int
}

// tableDay is a holiday whose dates are listed per year (lunar or
// astronomical: published by the government, not computed). In a year
// missing from dates the holiday does not occur: the calendar that uses it
// must declare its years (see [Calendar]) so that dates outside the table
// are refused rather than guessed.
func tableDay(name string, dates map[int]monthDay) *cal.Holiday {
	return &cal.Holiday{Name: name, Type: cal.ObservancePublic, Func: func(_ *cal.Holiday, year int) time.Time {
		md, ok := dates[year]
		if !ok {
			return time.Time{}
		}
		return time.Date(year, md.month, md.day, 0, 0, 0, 0, cal.DefaultLoc)
	}}
}

// without returns list minus the given holidays (compared by identity).
func without(list []*cal.Holiday, drop ...*cal.Holiday) []*cal.Holiday {
	return slices.DeleteFunc(slices.Clone(list), func(h *cal.Holiday) bool {
		return slices.Contains(drop, h)
	})
}

// Corrected rickar lists.
var (
	// brHolidays: the feriados nacionais of the federal government's annual
	// portaria (Lei 662/1949, Lei 6.802/1980, Lei 14.759/2023 for 20
	// November from 2024). Carnival and Corpus Christi, which rickar lists,
	// are pontos facultativos there, not holidays.
	brHolidays = append(without(br.Holidays, br.Carnaval, br.CorpusChristi),
		from(fixedDay("Dia Nacional de Zumbi e da Consciência Negra", time.November, 20), 2024))

	// caHolidays: the general holidays of the Canada Labour Code (s. 166),
	// the one country-wide list (the provinces each have their own). rickar
	// adds Easter Monday and the Civic Holiday, which are not in the Code.
	// Weekend substitutes as rickar has them (the federal practice: New
	// Year, Canada Day, Christmas and Boxing Day move to the next weekday).
	caHolidays = without(ca.Holidays, ca.EasterMonday, ca.CivicDay)

	// dkHolidays: the helligdage of Danish law (borger.dk), Store Bededag
	// abolished from 2024. Grundlovsdag (5 June), which rickar lists, is
	// not a public holiday.
	dkHolidays = without(dk.Holidays, dk.Grundlovsdag)

	// itHolidays: rickar's list plus 4 October (San Francesco d'Assisi), a
	// national holiday again from 2026 (law approved by the Senate on 1
	// October 2025).
	itHolidays = append(slices.Clone(it.Holidays), from(fixedDay("San Francesco d'Assisi", time.October, 4), 2026))

	// nlHolidays: the Algemene termijnenwet (art. 3), which is what extends
	// a statutory deadline: New Year, Easter Monday, King's Day, 5 May,
	// Ascension, Whit Monday, Christmas and Boxing Day. Good Friday, which
	// rickar lists, is not in it.
	nlHolidays = without(nl.Holidays, nl.GoedeVrijdag)

	// plHolidays: rickar's list plus Wigilia (24 December), a public
	// holiday from 2025 (amendment of the Ustawa o dniach wolnych od pracy,
	// 2024).
	plHolidays = append(slices.Clone(pl.Holidays), from(fixedDay("Wigilia Bożego Narodzenia", time.December, 24), 2025))

	// roHolidays: rickar's list plus Bobotează (6 January) and Sfântul Ioan
	// (7 January), holidays from 2024 (Legea 52/2023 amending art. 139 of
	// the Codul muncii).
	roHolidays = append(slices.Clone(ro.Holidays),
		from(fixedDay("Bobotează", time.January, 6), 2024),
		from(fixedDay("Sfântul Ioan Botezătorul", time.January, 7), 2024))

	// skHolidays: rickar's list without Constitution Day (1 September),
	// which is no longer a day off since 2024 (first consolidation package,
	// amendment of Zákon 241/1993).
	skHolidays = without(sk.Holidays, sk.Constitution)
)

// Countries rickar/cal lacks.
var (
	// eeHolidays: Estonia, Pühade ja tähtpäevade seadus § 2 (riigipühad).
	eeHolidays = []*cal.Holiday{
		fixedDay("Uusaasta", time.January, 1),
		fixedDay("Iseseisvuspäev", time.February, 24),
		named(aa.GoodFriday, "Suur reede"),
		named(aa.Easter, "Ülestõusmispühade 1. püha"),
		fixedDay("Kevadpüha", time.May, 1),
		named(aa.Pentecost, "Nelipühade 1. püha"),
		fixedDay("Võidupüha", time.June, 23),
		fixedDay("Jaanipäev", time.June, 24),
		fixedDay("Taasiseseisvumispäev", time.August, 20),
		fixedDay("Jõululaupäev", time.December, 24),
		fixedDay("Esimene jõulupüha", time.December, 25),
		fixedDay("Teine jõulupüha", time.December, 26),
	}

	// fiHolidays: Finland's public holidays (Uskonnonvapauslaki and
	// Vuosilomalaki), plus Midsummer Eve and Christmas Eve, which the Act
	// on the calculation of statutory time limits (Laki säädettyjen
	// määräaikain laskemisesta 150/1930, § 5) treats as holidays for
	// deadlines. Midsummer Day and All Saints' Day are the Saturdays
	// between 20-26 June and 31 October-6 November.
	fiHolidays = []*cal.Holiday{
		fixedDay("Uudenvuodenpäivä", time.January, 1),
		fixedDay("Loppiainen", time.January, 6),
		named(aa.GoodFriday, "Pitkäperjantai"),
		named(aa.Easter, "Pääsiäispäivä"),
		named(aa.EasterMonday, "Toinen pääsiäispäivä"),
		fixedDay("Vappu", time.May, 1),
		named(aa.AscensionDay, "Helatorstai"),
		named(aa.Pentecost, "Helluntaipäivä"),
		named(se.Midsommarafton, "Juhannusaatto"),
		named(se.Midsommardagen, "Juhannuspäivä"),
		named(se.AllaHelgonsDag, "Pyhäinpäivä"),
		fixedDay("Itsenäisyyspäivä", time.December, 6),
		fixedDay("Jouluaatto", time.December, 24),
		fixedDay("Joulupäivä", time.December, 25),
		fixedDay("Tapaninpäivä", time.December, 26),
	}

	// huHolidays: Hungary, Munka Törvénykönyve (2012. évi I. tv.) § 102
	// (1). The rest days the government moves by decree each year (bridge
	// days worked on a Saturday) are not public holidays and are not here.
	huHolidays = []*cal.Holiday{
		fixedDay("Újév", time.January, 1),
		fixedDay("Nemzeti ünnep", time.March, 15),
		named(aa.GoodFriday, "Nagypéntek"),
		named(aa.Easter, "Húsvétvasárnap"),
		named(aa.EasterMonday, "Húsvéthétfő"),
		fixedDay("A munka ünnepe", time.May, 1),
		named(aa.Pentecost, "Pünkösdvasárnap"),
		named(aa.PentecostMonday, "Pünkösdhétfő"),
		fixedDay("Államalapítás ünnepe", time.August, 20),
		fixedDay("Nemzeti ünnep", time.October, 23),
		fixedDay("Mindenszentek", time.November, 1),
		fixedDay("Karácsony", time.December, 25),
		fixedDay("Karácsony másnapja", time.December, 26),
	}

	// isHolidays: Iceland, the holidays (frídagar) of Act No. 88/1971 on
	// the 40-hour working week (lög um 40 stunda vinnuviku), full days only. Christmas Eve and New Year's Eve are holidays from
	// noon only and are working days here. The First Day of Summer is the
	// first Thursday after 18 April; Commerce Day the first Monday of
	// August.
	isHolidays = []*cal.Holiday{
		fixedDay("Nýársdagur", time.January, 1),
		named(aa.MaundyThursday, "Skírdagur"),
		named(aa.GoodFriday, "Föstudagurinn langi"),
		named(aa.Easter, "Páskadagur"),
		named(aa.EasterMonday, "Annar í páskum"),
		weekdayOnOrAfter("Sumardagurinn fyrsti", time.April, 19, time.Thursday),
		fixedDay("Verkalýðsdagurinn", time.May, 1),
		named(aa.AscensionDay, "Uppstigningardagur"),
		named(aa.Pentecost, "Hvítasunnudagur"),
		named(aa.PentecostMonday, "Annar í hvítasunnu"),
		fixedDay("Þjóðhátíðardagurinn", time.June, 17),
		nthWeekday("Frídagur verslunarmanna", time.August, time.Monday, 1),
		fixedDay("Jóladagur", time.December, 25),
		fixedDay("Annar í jólum", time.December, 26),
	}

	// luHolidays: Luxembourg, Code du travail art. L. 232-2 (with Europe
	// Day, 9 May, since 2019).
	luHolidays = []*cal.Holiday{
		fixedDay("Neijoerschdag", time.January, 1),
		named(aa.EasterMonday, "Ouschterméindeg"),
		fixedDay("Dag vun der Aarbecht", time.May, 1),
		from(fixedDay("Europadag", time.May, 9), 2019),
		named(aa.AscensionDay, "Christi Himmelfaart"),
		named(aa.PentecostMonday, "Péngschtméindeg"),
		fixedDay("Nationalfeierdag", time.June, 23),
		fixedDay("Léiffrawëschdag", time.August, 15),
		fixedDay("Allerhellgen", time.November, 1),
		fixedDay("Chrëschtdag", time.December, 25),
		fixedDay("Stiefesdag", time.December, 26),
	}

	// mtHolidays: Malta, the national holidays and public holidays of the
	// Public Holidays Act (Cap. 252). Since 2021 a holiday on a weekend
	// gives employees a day of leave, not a substitute public holiday.
	mtHolidays = []*cal.Holiday{
		fixedDay("L-Ewwel tas-Sena", time.January, 1),
		fixedDay("In-Nawfraġju ta' San Pawl", time.February, 10),
		fixedDay("San Ġużepp", time.March, 19),
		fixedDay("Jum il-Ħelsien", time.March, 31),
		named(aa.GoodFriday, "Il-Ġimgħa l-Kbira"),
		fixedDay("Jum il-Ħaddiem", time.May, 1),
		fixedDay("Sette Giugno", time.June, 7),
		fixedDay("L-Imnarja", time.June, 29),
		fixedDay("Santa Marija", time.August, 15),
		fixedDay("Jum il-Vitorja", time.September, 8),
		fixedDay("Jum l-Indipendenza", time.September, 21),
		fixedDay("Il-Kunċizzjoni", time.December, 8),
		fixedDay("Jum ir-Repubblika", time.December, 13),
		fixedDay("Il-Milied", time.December, 25),
	}

	// ptHolidays: Portugal, Código do Trabalho art. 234 (feriados
	// obrigatórios; Corpus Christi, 5 October, 1 November and 1 December
	// restored from 2016). Carnival is optional and not here.
	ptHolidays = []*cal.Holiday{
		fixedDay("Ano Novo", time.January, 1),
		named(aa.GoodFriday, "Sexta-feira Santa"),
		named(aa.Easter, "Páscoa"),
		fixedDay("Dia da Liberdade", time.April, 25),
		fixedDay("Dia do Trabalhador", time.May, 1),
		named(aa.CorpusChristi, "Corpo de Deus"),
		fixedDay("Dia de Portugal", time.June, 10),
		fixedDay("Assunção de Nossa Senhora", time.August, 15),
		fixedDay("Implantação da República", time.October, 5),
		fixedDay("Dia de Todos os Santos", time.November, 1),
		fixedDay("Restauração da Independência", time.December, 1),
		fixedDay("Imaculada Conceição", time.December, 8),
		fixedDay("Natal", time.December, 25),
	}

	// inHolidays: India's three national holidays (Republic Day,
	// Independence Day, Gandhi Jayanti), the only holidays that are the
	// same everywhere. The central government's gazetted list (DoPT) adds
	// festivals that differ between its offices and follow lunar calendars;
	// it is not used.
	inHolidays = []*cal.Holiday{
		fixedDay("Republic Day", time.January, 26),
		fixedDay("Independence Day", time.August, 15),
		fixedDay("Gandhi Jayanti", time.October, 2),
	}
)

// matariki is New Zealand's Matariki public holiday, whose dates follow the
// Māori lunar calendar and are listed in the schedule of Te Kāhui o
// Matariki Public Holiday Act 2022. The NZ calendar covers the years of this
// table only.
var matariki = tableDay("Matariki", map[int]monthDay{
	2022: {time.June, 24},
	2023: {time.July, 14},
	2024: {time.June, 28},
	2025: {time.June, 20},
	2026: {time.July, 10},
	2027: {time.June, 25},
	2028: {time.July, 14},
	2029: {time.July, 6},
	2030: {time.June, 21},
})

// matarikiYears is the range of years in [matariki].
var matarikiYears = [2]int{2022, 2030}

// jpEquinoxes are the dates of Japan's Vernal and Autumnal Equinox Days:
// astronomical, fixed each February for the following year by the Cabinet
// Office from the National Astronomical Observatory's almanac (later years:
// the observatory's calculation). rickar computes them with a formula; a
// test checks it against this table, and the JP calendar covers these years
// only.
var jpEquinoxes = map[int][2]monthDay{
	2025: {{time.March, 20}, {time.September, 23}},
	2026: {{time.March, 20}, {time.September, 23}},
	2027: {{time.March, 21}, {time.September, 23}},
	2028: {{time.March, 20}, {time.September, 22}},
	2029: {{time.March, 20}, {time.September, 23}},
	2030: {{time.March, 20}, {time.September, 23}},
}

// jpYears is the range of years in [jpEquinoxes].
var jpYears = [2]int{2025, 2030}
