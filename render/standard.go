package render

// StandardContract returns the "standard 3-page contract": a talent
// statement of work between a buyer, a performer and a studio, with
// sixteen clauses (scope, schedule, fees, usage rights, cancellation,
// confidentiality, liability, governing law…), Markdown headings,
// paragraphs, ordered and nested lists, bold and italic text, thirteen
// variables and three signers. It renders to exactly three A4 pages: about
// 2,300 words, about 900 on a full page, the last page ending with the
// signature blocks. It is the fixed workload of the render benchmarks and
// a realistic sample for other packages' tests and documentation. Each
// call returns a fresh Document, so callers may modify it.
func StandardContract() Document {
	return Document{
		Title:  "Statement of Work — Talent Services for {{project_name}}",
		Header: "{{buyer_name}} · {{talent_name}} · {{studio_name}} — Statement of Work",
		Footer: "Confidential. Ref. {{contract_ref}}",
		Variables: map[string]string{
			"project_name":     "Spring Campaign 2025",
			"contract_ref":     "SOW-2025-0412",
			"buyer_name":       "Northwind Media Ltd",
			"talent_name":      "Amelia Hart",
			"studio_name":      "Harbourlight Studios LLP",
			"effective_date":   "3 March 2025",
			"shoot_start_date": "14 April 2025",
			"shoot_end_date":   "17 April 2025",
			"location":         "Stage 4, 12 Canal Street",
			"city":             "Manchester",
			"day_rate":         "GBP 1,850",
			"total_fee":        "GBP 9,250",
			"governing_law":    "England and Wales",
		},
		Sections: standardSections(),
		Signers: []Signer{
			{Role: "buyer", Name: "Jonathan Reyes", Email: "j.reyes@northwind-media.example"},
			{Role: "talent", Name: "Amelia Hart", Email: "amelia.hart@talentmail.example"},
			{Role: "studio_owner", Name: "Priya Nair", Email: "priya@harbourlight.example"},
		},
	}
}

func standardSections() []Section {
	return []Section{
		{Heading: "1. Parties and Background", Markdown: `This Statement of Work (the **"SOW"**) is made on {{effective_date}} between **{{buyer_name}}** (the *"Buyer"*), **{{talent_name}}** (the *"Talent"*) and **{{studio_name}}** (the *"Studio"*), each a *"Party"* and together the *"Parties"*.

The Buyer is producing an advertising campaign known as {{project_name}} (the *"Campaign"*) and wishes to engage the Talent to appear in still photography and short-form video for the Campaign. The Studio owns and operates the production facilities at {{location}}, {{city}}, and has agreed to make those facilities and its crew available for the shoot on the terms of this SOW. The Parties wish to record the services to be provided, the fees payable, the rights granted in the resulting material and the allocation of risk between them.`},

		{Heading: "2. Definitions and Interpretation", Markdown: `In this SOW the following words have the meanings given below:

- **"Shoot Dates"** means the consecutive days from {{shoot_start_date}} to {{shoot_end_date}} inclusive, and any replacement dates agreed under clause 10.
- **"Material"** means all photographs, video footage, audio recordings, behind-the-scenes content and other recordings of the Talent made during the Shoot Dates, in any form and whether or not edited.
- **"Territory"** means the United Kingdom, the member states of the European Union and the European Economic Area, and Switzerland.
- **"Usage Period"** means twenty-four (24) months from the date on which the Material is first published by or on behalf of the Buyer.
- **"Business Day"** means a day other than a Saturday, Sunday or public holiday in {{city}}.

Headings do not affect interpretation, and the words *including* and *in particular* are illustrative only.`},

		{Heading: "3. Scope of Services", Markdown: `The Talent shall attend the Studio on each of the Shoot Dates and shall perform as a model and on-screen presenter under the reasonable direction of the Buyer's creative director. The services comprise:

1. appearing in still photography for print, outdoor and digital placements, in up to **six (6) looks** per Shoot Date;
2. appearing in short-form video of up to sixty (60) seconds per cut, including scripted lines of no more than twenty-five (25) words per cut;
3. attending one (1) fitting of up to two (2) hours at the Studio or at the Buyer's offices in {{city}} during the week before the first Shoot Date; and
4. recording up to thirty (30) minutes of voice-over material, if requested by the Buyer on any Shoot Date.

The Studio shall provide, for the whole of each Shoot Date:

- the exclusive use of the shooting stage, the infinity cove and the adjoining green room;
- a lighting technician, a studio manager and a runner, each present from the call time until the wrap;
- power, heating, air conditioning, Wi-Fi and secure storage for wardrobe and equipment, together with:
  - a private dressing room with a mirror, lighting and a lockable door for the Talent; and
  - hot and cold refreshments for up to twenty (20) people, including vegetarian and vegan options.

Any service not listed in this clause, including appearances at press events, social media posts from the Talent's own accounts or additional shoot days, requires a separate written agreement and is ***not*** included in the fees set out in clause 5.`},

		{Heading: "4. Schedule and Call Times", Markdown: `The call time on each Shoot Date is 08:00 and the scheduled wrap is 18:00, with a break of not less than one (1) hour for lunch and two breaks of fifteen (15) minutes. The Buyer shall send the final call sheet to the Talent and the Studio no later than 17:00 on the Business Day before each Shoot Date.

### Overtime

Time worked beyond ten (10) hours in any Shoot Date, including breaks, is overtime. Overtime is payable to the Talent at one and a half times the hourly equivalent of the Day Rate, in units of thirty (30) minutes, and the Studio may charge its published overtime rate for the stage and crew. No overtime is payable unless the Buyer's producer approved it on the day.

### Travel

The Talent is responsible for travel to and from the Studio within the {{city}} area. If the Buyer requires the Talent to travel more than fifty (50) miles from the Studio, the Buyer shall arrange and pay for standard-class rail travel or equivalent transport and, where the Talent would otherwise arrive before 07:00 or leave after 21:00, for reasonable hotel accommodation.`},

		{Heading: "5. Fees and Expenses", Markdown: `In consideration of the services and the rights granted under this SOW, the Buyer shall pay:

1. to the Talent, a fee of **{{day_rate}} per Shoot Date** (the *"Day Rate"*), being a total of **{{total_fee}}** for the Shoot Dates and the fitting, which includes the usage fee for the Usage Period and the Territory;
2. to the Talent, any overtime approved under clause 4, calculated as set out in that clause;
3. to the Studio, the facility fee set out in the Studio's quotation referenced {{contract_ref}}, which is incorporated into this SOW by reference; and
4. to each of the Talent and the Studio, reasonable out-of-pocket expenses approved in advance in writing by the Buyer and supported by receipts.

All fees are exclusive of value added tax, which shall be added where applicable at the prevailing rate. The Talent is responsible for the Talent's own income tax and national insurance contributions, and the Talent's agent's commission, if any, is payable out of the fees and not in addition to them.`},

		{Heading: "6. Invoicing and Payment", Markdown: `The Talent and the Studio may each invoice the Buyer after the last Shoot Date. Each invoice shall quote the reference {{contract_ref}} and the Buyer's purchase order number and shall itemise fees, overtime and expenses separately.

The Buyer shall pay each undisputed invoice in full, in cleared funds, within **thirty (30) days** of receipt. If the Buyer disputes any part of an invoice in good faith it shall notify the invoicing Party within ten (10) Business Days of receipt, giving reasons, and shall pay the undisputed part on time.

Late payments carry interest at four per cent (4%) a year above the Bank of England base rate, accruing daily.`},

		{Heading: "7. Usage Rights and Licence", Markdown: `Subject to payment in full of the fees in clause 5, the Talent grants the Buyer an exclusive licence to use, reproduce, edit, adapt and communicate the Material to the public in the Territory for the Usage Period, in the following media only:

- printed point-of-sale material, catalogues and brochures;
- outdoor advertising, including posters, billboards and transport sites;
- the Buyer's own websites, e-commerce listings, newsletters and social media channels; and
- paid digital advertising on search, display and social media platforms.

The licence does **not** include television, cinema, radio or packaging, the use of the Material to endorse any product other than the Buyer's own products in the Campaign, or the use of the Talent's name, likeness or voice to train or generate material by artificial intelligence or similar technology. Any such use requires the Talent's prior written consent and a separate fee.

The Buyer may extend the Usage Period by a further twelve (12) months by written notice to the Talent before the Usage Period ends, on payment of a further sum equal to *fifty per cent (50%)* of the Day Rate multiplied by the number of Shoot Dates.

On expiry of the Usage Period the Buyer shall stop placing new advertisements that include the Material, but need not recall printed material already in circulation.`},

		{Heading: "8. Credits, Approvals and Moral Rights", Markdown: `The Talent shall have the right to view a selection of not fewer than thirty (30) images and all edited video cuts before publication and may, within five (5) Business Days, reject up to ten per cent (10%) of the images on reasonable grounds relating to the Talent's appearance. The Buyer shall not retouch the Talent's body shape, skin tone or facial features beyond standard colour correction and the removal of temporary blemishes.

Where the Material is credited, the Talent shall be credited as {{talent_name}} and the Studio as {{studio_name}}. An inadvertent failure to give a credit is not a breach of this SOW, provided that the Buyer corrects it in future uses on notice.`},

		{Heading: "9. Studio Facilities, Health and Safety", Markdown: `The Studio shall keep the facilities safe and in good repair, shall hold a current fire risk assessment and public liability insurance, and shall brief everyone attending on the fire exits and assembly point at the start of each Shoot Date. The Buyer shall ensure that its crew and contractors follow the Studio's house rules and the reasonable instructions of the studio manager.

The Talent may decline to perform any action that the Talent reasonably considers unsafe, degrading or materially different from the creative brief, and declining on those grounds is not a breach of this SOW. The Buyer shall ensure that a chaperone of the Talent's choosing may attend the Studio throughout the Shoot Dates.`},

		{Heading: "10. Cancellation and Postponement", Markdown: `The Buyer may cancel or postpone the shoot by written notice to the Talent and the Studio. If the Buyer cancels, the following cancellation fees are payable to each of the Talent and the Studio as a proportion of the fees that would have been due to it:

1. notice given more than fourteen (14) days before the first Shoot Date: *no fee*;
2. notice given between fourteen (14) and seven (7) days before the first Shoot Date: **fifty per cent (50%)**;
3. notice given less than seven (7) days before the first Shoot Date: **one hundred per cent (100%)**.

If the Buyer postpones the shoot once, with at least seven (7) days' notice, and the Parties agree replacement dates within three (3) months of the original first Shoot Date, no cancellation fee is payable. A second postponement is treated as a cancellation on the date of the notice.`},

		{Heading: "11. Confidentiality", Markdown: `Each Party shall keep confidential the terms of this SOW, the creative brief, unreleased products, the Material before its publication and all other information about another Party's business that it receives in connection with the Campaign (together, *"Confidential Information"*). Disclosure to professional advisers, or where required by law, is permitted.

The Talent shall not post or share any image, video or description of the shoot, the set or the products on social media or elsewhere before the Buyer's first publication of the Campaign, and thereafter only by sharing the Buyer's own published posts.

These obligations survive the end of this SOW for three (3) years, or without limit of time in respect of unreleased products and trade secrets.`},

		{Heading: "12. Warranties", Markdown: `Each Party warrants that it has full power and authority to enter into this SOW. The Talent warrants that the Talent is not bound by any exclusivity, endorsement or other agreement that would prevent the Talent from performing the services or granting the rights in clause 7.`},

		{Heading: "13. Liability and Insurance", Markdown: `Nothing in this SOW limits or excludes any Party's liability for death or personal injury caused by negligence, for fraud or fraudulent misrepresentation, or for any other liability that cannot be limited or excluded by law.

Subject to that, no Party is liable to another for any loss of profit, loss of business, loss of goodwill or any indirect or consequential loss, and each Party's total liability to the others arising out of or in connection with this SOW, whether in contract, tort (including negligence) or otherwise, is limited to **the total fees payable under this SOW**.`},

		{Heading: "14. Termination", Markdown: `Any Party may terminate this SOW with immediate effect by written notice if another Party commits a material breach that is incapable of remedy, or that is capable of remedy but is not remedied within ten (10) Business Days of a notice requiring it, or if another Party becomes insolvent or ceases to carry on business.

Termination does not affect rights and remedies that have accrued before it, and clauses 6, 7 (for Material paid for), 11, 13 and 15 survive it.`},

		{Heading: "15. Governing Law and Disputes", Markdown: `This SOW and any dispute or claim arising out of or in connection with it, including non-contractual disputes or claims, are governed by the law of {{governing_law}}.

The Parties shall first try to resolve any dispute by negotiation between senior representatives within twenty (20) Business Days of a written request by any Party. Failing that, the Parties may refer it to mediation in {{city}}. Failing settlement, the courts of {{governing_law}} have exclusive jurisdiction, although any Party may seek urgent injunctive relief in any court.`},

		{Heading: "16. General", Markdown: `Notices must be in writing and may be sent by email to the addresses in the signature blocks below.

This SOW, together with the Studio's quotation referred to in clause 5, is the entire agreement between the Parties about its subject matter and supersedes all earlier discussions and arrangements. No variation is effective unless it is in writing and signed by all the Parties. No Party may assign its rights or obligations without the prior written consent of the others.

This SOW may be signed electronically and in any number of counterparts, each of which is an original and which together form one agreement.  
Signed by the Parties on the dates set out below.`},
	}
}
