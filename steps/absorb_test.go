package steps

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
)

// What the journal records for an action that runs again after an interrupted run of
// it: the re-run's record joined with the interrupted intent's hint.
func TestAbsorbedKeepsWhatAnInterruptedRunMayHaveMade(t *testing.T) {
	for _, tc := range []struct {
		name                      string
		action                    ActionType
		interrupted, result, want string
	}{
		{"trust-worker: the nodes of both", actTrustWorker,
			`{"addedOn":["node1","node2"],"thumbprint":""}`, `{"addedOn":["node1"],"thumbprint":"AB12"}`,
			`{"addedOn":["node1","node2"],"thumbprint":"AB12"}`},
		{"trust-worker: the hint's thumbprint when the re-run has none", actTrustWorker,
			`{"addedOn":["NODE2"],"thumbprint":"AB12"}`, `{"addedOn":["node2","node1"],"thumbprint":""}`,
			`{"addedOn":["node2","node1"],"thumbprint":"AB12"}`},
		{"open-replica-ports: the rules of both", actOpenReplicaPorts,
			`{"created":["ssisha-5022","ssisha-1433"]}`, `{"created":["ssisha-1433"]}`,
			`{"created":["ssisha-1433","ssisha-5022"]}`},
		{"install-master: the features of both", actInstallMaster,
			`{"features":"IS,IS_Master"}`, `{"features":"IS_Master","thumbprint":"CD34"}`,
			`{"features":"IS_Master,IS","thumbprint":"CD34"}`},
		{"create-certificate: found as the first run would", actCreateCert,
			`{"created":true,"dnsName":"ssis.contoso.com","existedBefore":["OLD1"],"friendlyName":"ssisha"}`,
			`{"created":true,"thumbprint":"NEW2"}`,
			`{"created":true,"dnsName":"ssis.contoso.com","existedBefore":["OLD1"],"friendlyName":"ssisha"}`},
		{"create-certificate: a given certificate stays as recorded", actCreateCert,
			`{"thumbprint":"AA"}`, `{"thumbprint":"AA","created":true}`, `{"created":true,"thumbprint":"AA"}`},
		{"rebind-certificate: the certificate before the first run", actRebindCert,
			`{"previousThumbprint":"OLD"}`, `{"previousThumbprint":"NEW"}`, `{"previousThumbprint":"OLD"}`},
		{"stop-master-until-clustered: the service before the first run", actStopUntilRole,
			`{"startMode":"Auto","state":"Running"}`, `{"startMode":"Manual","state":"Running"}`, `{"startMode":"Auto","state":"Running"}`},
		{"create-catalog: CLR as it was before the first run", actCreateCatalog,
			`{"clrWasEnabled":false,"created":true}`, `{"clrWasEnabled":true,"created":true}`, `{"clrWasEnabled":false,"created":true}`},
		{"alwayson-support: the objects of both, CLR off before", actAlwaysOnSupport,
			`{"objects":"monitor,maintenance,startup","assemblyLogin":true,"assemblyKey":true,"clrWasOff":true,"replicaAdded":true,"server":"NODE1"}`,
			`{"objects":"startup"}`,
			`{"objects":"startup,monitor,maintenance","assemblyLogin":true,"assemblyKey":true,"clrWasOff":true,"replicaAdded":true,"server":"NODE1"}`},
		{"set-master-services-manual: every node as it was", actServicesManual,
			`{"services":{"node1":{"startMode":"Auto","state":"Running"},"node2":{"startMode":"Auto","state":"Stopped"}}}`,
			`{"services":{"node2":{"startMode":"Auto","state":"Stopped"}}}`,
			`{"services":{"node1":{"startMode":"Auto","state":"Running"},"node2":{"startMode":"Auto","state":"Stopped"}}}`},
		{"install (worker): IS came with the first run", actInstallWorker,
			`{"installed":true,"removeIS":true}`, `{"installed":true,"agentId":"42"}`, `{"agentId":"42","installed":true,"removeIS":true}`},
		{"configure: the settings before the first run", actConfigureWorker,
			`{"changed":true,"path":"W.config","previous":{"MasterEndpoint":"https://old:8391","MasterHttpsCertThumbprint":"OLD"}}`,
			`{"changed":true,"path":"W.config","previous":{"MasterEndpoint":"https://new:8391","MasterHttpsCertThumbprint":"OLD"}}`,
			`{"changed":true,"path":"W.config","previous":{"MasterEndpoint":"https://old:8391","MasterHttpsCertThumbprint":"OLD"}}`},
		{"configure: a worker the first run installed", actConfigureWorker,
			`{"changed":false,"path":"W.config"}`, `{"changed":true,"path":"W.config","previous":{"MasterEndpoint":"x"}}`,
			`{"changed":true,"path":"W.config","previous":{"MasterEndpoint":"x"}}`},
		{"without the hook the re-run's record stands", actSetMasterAddress,
			`{"previous":"old"}`, `{"previous":"new"}`, `{"previous":"new"}`},
		{"an unreadable hint leaves the re-run's record", actTrustWorker,
			`{"addedOn":"node2"}`, `{"addedOn":["node1"],"thumbprint":"AB"}`, `{"addedOn":["node1"],"thumbprint":"AB"}`},
		{"no hint leaves the re-run's record", actTrustWorker,
			``, `{"addedOn":["node1"],"thumbprint":"AB"}`, `{"addedOn":["node1"],"thumbprint":"AB"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.action.Absorbed(Undo(tc.interrupted), Undo(tc.result))
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatalf("Absorbed returned %q: %v", got, err)
			}
			if err := json.Unmarshal([]byte(tc.want), &w); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("Absorbed = %s, want %s", got, tc.want)
			}
		})
	}
}

// A trust of the worker certificate killed after node2's import and before node1's
// runs again on node1 only; the record joined with the interrupted hint undoes both.
func TestTrustWorkerRerunUndoesTheInterruptedImportToo(t *testing.T) {
	l := newWorkerLab(t)
	s := NewWorkersStep()
	ctx := context.Background()
	worker := Target{Host: "worker1.contoso.com", Role: "worker"}
	trust := func() Action {
		t.Helper()
		d, err := s.Detect(ctx, l.env, worker)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range d.Actions {
			if a.ID == "trust-worker" {
				return a
			}
			if _, err := applyAction(s, ctx, l.env, worker, a); err != nil {
				t.Fatalf("apply %s: %v", a.ID, err)
			}
		}
		t.Fatalf("step 9 lists no trust-worker: %s", actionIDs(d.Actions))
		return Action{}
	}
	first := trust()
	before := l.snapshot(t)
	u, err := applyAction(s, ctx, l.env, worker, first)
	if err != nil {
		t.Fatal(err)
	}
	var made trustWorkerUndo
	if err := json.Unmarshal(u, &made); err != nil || len(made.AddedOn) != 2 {
		t.Fatalf("the trust recorded %s (%v), want both masters", u, err)
	}
	// As the kill leaves it: node2 holds the certificate, node1 does not yet.
	if err := l.env.PS(ctx, made.AddedOn[0], psCertRemove("Root", made.Thumbprint), nil); err != nil {
		t.Fatal(err)
	}
	again := trust()
	var hint trustWorkerUndo
	if err := json.Unmarshal(again.UndoHint, &hint); err != nil || len(hint.AddedOn) != 1 || hint.AddedOn[0] != made.AddedOn[0] {
		t.Fatalf("the re-run's hint is %s (%v), want %s only", again.UndoHint, err, made.AddedOn[0])
	}
	rerun, err := applyAction(s, ctx, l.env, worker, again)
	if err != nil {
		t.Fatal(err)
	}
	joined := actTrustWorker.Absorbed(first.UndoHint, rerun)
	if err := undoAction(s, ctx, l.env, worker, "trust-worker", joined); err != nil {
		t.Fatalf("undo from %s: %v", joined, err)
	}
	// Undone twice, as a rollback run again after a failure would: nothing changes.
	if err := undoAction(s, ctx, l.env, worker, "trust-worker", joined); err != nil {
		t.Fatalf("second undo from %s: %v", joined, err)
	}
	if after := l.snapshot(t); after != before {
		t.Errorf("undo of the joined record did not restore the masters: %s", diffLines(before, after))
	}
}
