package policy

// Report is an Explanation in a JSON-ready shape, for the CLI and the
// simulator's responses.
type Report struct {
	Decision             string            `json:"decision"`
	Reason               string            `json:"reason,omitempty"`
	DecidingStatements   []ReportStatement `json:"decidingStatements"`
	MatchedStatements    []ReportStatement `json:"matchedStatements"`
	MissingContextValues []string          `json:"missingContextValues"`
	PolicyTypes          []ReportSet       `json:"policyTypes"`
}

// ReportStatement identifies one statement in a report.
type ReportStatement struct {
	PolicyID   string `json:"policyId"`
	PolicyType string `json:"policyType"`
	Level      int    `json:"level,omitempty"`
	Index      int    `json:"statementIndex"`
	Sid        string `json:"sid,omitempty"`
	Effect     string `json:"effect"`
	Start      Pos    `json:"startPosition"`
	End        Pos    `json:"endPosition"`
}

// ReportSet is one policy type's own verdict.
type ReportSet struct {
	PolicyType string `json:"policyType"`
	Level      int    `json:"level,omitempty"`
	Decision   string `json:"decision"`
}

// Report converts the explanation.
func (x *Explanation) Report() Report {
	r := Report{
		Decision:             x.Decision.String(),
		Reason:               x.Reason(),
		DecidingStatements:   []ReportStatement{},
		MatchedStatements:    []ReportStatement{},
		MissingContextValues: append([]string{}, x.MissingContextValues...),
		PolicyTypes:          []ReportSet{},
	}
	for _, ref := range x.Matched() {
		r.DecidingStatements = append(r.DecidingStatements, reportStatement(ref))
	}
	for _, ref := range x.Statements {
		r.MatchedStatements = append(r.MatchedStatements, reportStatement(ref))
	}
	for _, s := range x.Sets {
		r.PolicyTypes = append(r.PolicyTypes, ReportSet{PolicyType: s.Set.String(), Level: s.Level, Decision: s.Decision.String()})
	}
	return r
}

func reportStatement(ref StatementRef) ReportStatement {
	st := ref.Statement()
	return ReportStatement{
		PolicyID:   ref.Policy.ID(),
		PolicyType: ref.Set.String(),
		Level:      ref.Level,
		Index:      ref.Index,
		Sid:        st.Sid,
		Effect:     st.Effect.String(),
		Start:      st.Start,
		End:        st.End,
	}
}
