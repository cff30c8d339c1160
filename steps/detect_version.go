package steps

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// serverFacts is what SERVERPROPERTY and friends say about one instance.
type serverFacts struct {
	Host           string
	ServerName     string
	ProductVersion string
	ProductLevel   string
	UpdateLevel    string
	Edition        string
	EngineEdition  int
	HadrEnabled    bool
	IntegratedOnly bool
	CLREnabled     bool
	DataPath       string
	LogPath        string
	ServiceAccount string
}

// Major is the product major version, the first number of ProductVersion.
func (f serverFacts) Major() int {
	var m int
	_, _ = fmt.Sscanf(f.ProductVersion, "%d.", &m)
	return m
}

// Build is ProductVersion without the revision, which changes with every CU.
func (f serverFacts) Build() string {
	parts := strings.Split(f.ProductVersion, ".")
	if len(parts) > 3 {
		parts = parts[:3]
	}
	return strings.Join(parts, ".")
}

func readServerFacts(ctx context.Context, env *Env, host string) (serverFacts, error) {
	rs, err := env.SQL(ctx, host, tsqlServerFacts())
	if err != nil {
		return serverFacts{}, fmt.Errorf("reading the SQL Server version on %s: %w", host, err)
	}
	r := Row(rs)
	if r == nil {
		return serverFacts{}, fmt.Errorf("reading the SQL Server version on %s: the query returned no row", host)
	}
	return serverFacts{Host: host, ServerName: Str(r["server_name"]), ProductVersion: Str(r["product_version"]),
		ProductLevel: Str(r["product_level"]), UpdateLevel: Str(r["update_level"]), Edition: Str(r["edition"]),
		EngineEdition: Int(r["engine_edition"]), HadrEnabled: Int(r["hadr_enabled"]) == 1,
		IntegratedOnly: Int(r["integrated_only"]) == 1, CLREnabled: Int(r["clr_enabled"]) == 1,
		DataPath: Str(r["data_path"]), LogPath: Str(r["log_path"]), ServiceAccount: Str(r["service_account"])}, nil
}

// readAllServerFacts reads every master's instance in parallel, in answer order.
func readAllServerFacts(ctx context.Context, env *Env) ([]serverFacts, error) {
	hosts := env.Answers.MasterHosts()
	out := make([]serverFacts, len(hosts))
	errs := make([]error, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Go(func() { out[i], errs[i] = readServerFacts(ctx, env, h) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DetectVersion returns the SQL Server version the steps use: the answer file's
// sqlVersion when set, else the primary's ProductVersion. Replicas on different major
// versions are an error naming them, since Scale Out names and paths follow it.
func DetectVersion(ctx context.Context, env *Env) (Version, error) {
	if env.Answers.SQLVersion != 0 {
		return VersionFromYear(env.Answers.SQLVersion)
	}
	if len(env.Answers.Masters) == 0 {
		return Version{}, fmt.Errorf("the SQL Server version cannot be detected: masters lists no node; add them to the answer file")
	}
	facts, err := readAllServerFacts(ctx, env)
	if err != nil {
		return Version{}, fmt.Errorf("the SQL Server version cannot be detected (%w); set sqlVersion in the answer file or check the connection", err)
	}
	byMajor := map[int][]string{}
	for _, f := range facts {
		byMajor[f.Major()] = append(byMajor[f.Major()], fmt.Sprintf("%s (%s)", f.Host, f.ProductVersion))
	}
	if len(byMajor) > 1 {
		var parts []string
		for _, hs := range byMajor {
			parts = append(parts, strings.Join(hs, ", "))
		}
		sort.Strings(parts)
		return Version{}, fmt.Errorf("the replicas run different SQL Server versions: %s; install the same version and cumulative update on every master node", strings.Join(parts, "; "))
	}
	v, err := VersionFromMajor(facts[0].Major())
	if err != nil {
		return Version{}, fmt.Errorf("%s runs SQL Server %s: %w", facts[0].Host, facts[0].ProductVersion, err)
	}
	return v, nil
}
