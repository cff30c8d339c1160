package steps

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// applyAction applies a through the action s declares for it, as the engine does.
func applyAction(s Step, ctx context.Context, env *Env, t Target, a Action) (Undo, error) {
	typ, ok := FindAction(s, a.ID)
	if !ok {
		panic("step does not declare " + a.ID)
	}
	return typ.Apply(ctx, env, t, a)
}

// undoAction undoes the action id of s from journaled data, as the engine does.
func undoAction(s Step, ctx context.Context, env *Env, t Target, id string, data Undo) error {
	typ, ok := FindAction(s, id)
	if !ok {
		panic("step does not declare " + id)
	}
	return typ.Undo(ctx, env, t, data)
}

// undoJSON is undo data written as a journal holds it.
func undoJSON(v any) Undo {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// TestEveryStepDeclaresItsActionsOnce: the journal finds an action's undo by its ID,
// so within a step each ID names one action, and each declaration can apply and undo.
func TestEveryStepDeclaresItsActionsOnce(t *testing.T) {
	for _, s := range All() {
		seen := map[string]bool{}
		for _, a := range s.Actions() {
			info := a.Info()
			if info.ID == "" || info.Kind == "" || strings.TrimSpace(info.Summary) == "" {
				t.Errorf("step %d declares an action without ID, kind or summary: %+v", s.ID(), info)
			}
			if seen[info.ID] {
				t.Errorf("step %d declares %q twice", s.ID(), info.ID)
			}
			seen[info.ID] = true
		}
	}
}

// TestJournalsOfEarlierVersionsStillRollBack decodes undo records as the untyped
// journal of earlier versions wrote them (keys sorted, every key of the old map) into
// each action's typed undo data: nothing is lost, so those journals still roll back.
func TestJournalsOfEarlierVersionsStillRollBack(t *testing.T) {
	records := []struct {
		step int
		id   string
		old  string
	}{
		{1, "install-failover-clustering", `{"installed":true}`},
		{1, "create-cluster", `{"created":true,"name":"SSISCL"}`},
		{1, "set-witness", `{"name":"SSISCL","previousWitness":""}`},
		{2, "create-certificate", `{"created":true,"dnsName":"ssismaster.contoso.com","existedBefore":["AB12"],"friendlyName":"SSISScaleOutMaster"}`},
		{2, "create-certificate", `{"created":true,"thumbprint":"AB12"}`},
		{2, "copy-certificate-to-root", `{"created":true,"thumbprint":"AB12"}`},
		{2, "install-master", `{"features":"IS,IS_Master","thumbprint":"AB12"}`},
		{2, "rebind-certificate", `{"previousThumbprint":"CD34"}`},
		{2, "open-firewall", `{"created":false}`},
		{2, "enable-alwayson", `{"enabled":true}`},
		{3, "import-certificate", `{"thumbprint":"AB12"}`},
		{3, "stop-master-until-clustered", `{"startMode":"Auto","state":"Running"}`},
		{4, "endpoint", `{"endpoint":"Hadr_endpoint","endpointCreated":true,"loginsCreated":"CONTOSO\\svc_sql","systemGranted":false}`},
		{4, "master-login", `{"created":true,"login":"CONTOSO\\svc_ssismaster"}`},
		{4, "create-catalog", `{"clrWasEnabled":false,"created":true}`},
		{4, "master-user", `{"created":true,"user":"CONTOSO\\svc_ssismaster"}`},
		{4, "create-ag", `{"ag":"SSISDB-AG","created":true}`},
		{4, "listener", `{"ag":"SSISDB-AG","created":true,"listener":"SSISLSN"}`},
		{4, "join", `{"ag":"SSISDB-AG","server":"NODE2"}`},
		{4, "dmk-credential", `{"familyGuid":"6F9619FF-8B86-D011-B42D-00C04FC964FF"}`},
		{4, "alwayson-support", `{"objects":"login,startup","replicaAdded":true,"server":"NODE2"}`},
		{5, "set-sqlservername", `{"backup":"C:\\x.bak","path":"C:\\MasterSettings.config","previous":"NODE1"}`},
		{6, "create-login", `{"action":"created"}`},
		{6, "update-logdb", `{"previousServer":"NODE1"}`},
		{7, "set-master-services-manual", `{"services":{"node2.contoso.com":{"startMode":"Auto","state":"Running"}}}`},
		{7, "create-master-role", `{"created":true,"name":"SSISMASTER"}`},
		{8, "set-master-address", `{"previous":""}`},
		{9, "trust-master", `{"added":true,"thumbprint":"AB12"}`},
		{9, "install", `{"agentId":"","installed":true}`},
		{9, "install", `{"installed":true}`},
		{9, "configure", `{"changed":true,"path":"C:\\WorkerSettings.config","previous":{"MasterEndpoint":"https://old:8391","MasterHttpsCertThumbprint":"CD34"}}`},
		{9, "trust-worker", `{"addedOn":["node1.contoso.com","node2.contoso.com"],"thumbprint":"EF56"}`},
		{9, "enable", `{"agentId":"0C5A9F7E"}`},
	}
	steps := All()
	for _, r := range records {
		typ, ok := FindAction(steps[r.step-1], r.id)
		if !ok {
			t.Errorf("step %d no longer declares %q, so its journal entries cannot be undone", r.step, r.id)
			continue
		}
		got, err := typ.reencode(Undo(r.old))
		if err != nil {
			t.Errorf("step %d %s: %v", r.step, r.id, err)
			continue
		}
		var want, have any
		_ = json.Unmarshal([]byte(r.old), &want)
		_ = json.Unmarshal(got, &have)
		if !reflect.DeepEqual(want, have) {
			t.Errorf("step %d %s reads %s as %s", r.step, r.id, r.old, got)
		}
	}
}
