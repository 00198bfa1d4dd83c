package docpack_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"trustdocs/content"
	"trustdocs/docpack"
	"trustdocs/events"
)

// liveFromLibrary builds what content.LiveTemplates returns after publishing the shipped
// content, without a database.
func liveFromLibrary(t *testing.T) []content.LiveTemplate {
	t.Helper()
	lib, err := content.Load(content.FS)
	require.NoError(t, err)
	var out []content.LiveTemplate
	for _, tp := range lib.Templates {
		lt := content.LiveTemplate{TemplateID: "tpl_" + tp.Slug + "_v1", Name: tp.Name, Version: 1, CityGate: tp.CityGate,
			RoleGate: tp.RoleGate, Layout: tp.Layout, SignerRoles: tp.SignerRoles}
		for _, name := range tp.Clauses {
			c, _ := lib.Clause(name)
			lt.Clauses = append(lt.Clauses, content.LiveClause{ClauseID: "cls_" + c.Slug + "_v1", Name: c.Name, Version: 1,
				CityGate: c.CityGate, RoleGate: c.RoleGate, Body: c.Body, Variables: c.Variables})
		}
		out = append(out, lt)
	}
	return out
}

func contractCheckout(t *testing.T) events.Checkout {
	t.Helper()
	body, err := os.ReadFile("../events/examples/booking.checkout.completed.json")
	require.NoError(t, err)
	env, err := events.Decode(body)
	require.NoError(t, err)
	c, err := events.DataAs[events.Checkout](env)
	require.NoError(t, err)
	return c
}

func clauseNames(d docpack.Doc) []string {
	var n []string
	for _, c := range d.Clauses {
		n = append(n, c.Name)
	}
	return n
}

func TestContractCheckoutGetsGatedDocuments(t *testing.T) {
	t.Parallel()
	plan, err := docpack.Build(contractCheckout(t), liveFromLibrary(t))
	require.NoError(t, err)
	require.Len(t, plan.Docs, 2)
	byName := map[string]docpack.Doc{}
	for _, d := range plan.Docs {
		byName[d.TemplateName] = d
	}
	sow := byName["Talent SOW"]
	require.Equal(t, []string{"SOW: Base Terms", "NYC: Model Worker Protections", "Model Release: Adult"}, clauseNames(sow), "NYC model leg")
	require.Equal(t, []string{"buyer", "talent"}, sow.Signers.Roles(content.SignerRoles))
	require.Equal(t, "Jordan Lee", sow.Signers["talent"].Name)
	require.Equal(t, "USD 1,200.00", sow.Variables["fee_amount"])
	require.Equal(t, "Saturday, December 5, 2026 at 9:00 AM EST", sow.Variables["starts_at"], "shown in the city's time zone")
	require.Equal(t, "yes", sow.Variables["date_of_majority_confirmed"])

	rules := byName["Studio House Rules"]
	require.Equal(t, []string{"House Rules: Standard"}, clauseNames(rules), "the LA permit clause is gated out in NYC")
	require.Equal(t, []string{"buyer", "studio_owner"}, rules.Signers.Roles(content.SignerRoles))
	require.Equal(t, "Studio Nine Inc.", rules.Variables["studio_name"])
}

func TestLosAngelesPhotographerLeg(t *testing.T) {
	t.Parallel()
	c := contractCheckout(t)
	c.City, c.Roles = "LA", []string{"photographer", "studio"}
	c.Parties[1].TalentKind = "photographer"
	plan, err := docpack.Build(c, liveFromLibrary(t))
	require.NoError(t, err)
	for _, d := range plan.Docs {
		switch d.TemplateName {
		case "Talent SOW":
			require.Equal(t, []string{"SOW: Base Terms"}, clauseNames(d), "no model release for a photographer, no NYC clause in LA")
			require.Contains(t, d.Variables["starts_at"], "PST")
		case "Studio House Rules":
			require.Equal(t, []string{"House Rules: Standard", "LA: Studio Filming Permits"}, clauseNames(d))
		}
	}
}

func TestMissingOrInvalidVariablesFailThePlanNamingThem(t *testing.T) {
	t.Parallel()
	c := contractCheckout(t)
	c.UsageRights = ""
	no := false
	c.Parties[1].DateOfMajorityConfirmed = &no
	_, err := docpack.Build(c, liveFromLibrary(t))
	require.Error(t, err)
	require.Contains(t, err.Error(), "usage_rights")
	require.Contains(t, err.Error(), "date_of_majority_confirmed")

	c = contractCheckout(t)
	c.Parties = c.Parties[:2] // no studio owner on a studio leg
	_, err = docpack.Build(c, liveFromLibrary(t))
	require.ErrorContains(t, err, `no party with signer role "studio_owner"`)

	c = contractCheckout(t)
	c.Roles = []string{"model"}
	c.City = "NYC"
	_, err = docpack.Build(c, nil)
	require.ErrorIs(t, err, docpack.ErrNoTemplate)
}

func TestMoney(t *testing.T) {
	t.Parallel()
	for in, want := range map[int64]string{0: "USD 0.00", 5: "USD 0.05", 120000: "USD 1,200.00", 123456789: "USD 1,234,567.89", -250: "USD -2.50"} {
		require.Equal(t, want, docpack.Money(events.Money{AmountMinor: in, Currency: "USD"}))
	}
}
