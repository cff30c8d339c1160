package ui

import (
	"reflect"
	"testing"

	"github.com/ssisha/ssisha/steps/answers"
)

// Typed hosts replace the hosts of the nodes in order, keeping each node's other
// settings; a host past the old nodes is a new node, and the worker account question
// applies to every worker.
func TestApplyQuestionsKeepsNodeSettings(t *testing.T) {
	a := answers.Example()
	a.Masters = []answers.Master{{Host: "old1", SQLInstance: "INST1"}, {Host: "old2", SQLInstance: "INST2"}}
	a.Workers = []answers.Worker{{Host: "w-old", Account: "CONTOSO\\before", WinRM: answers.Address{Port: 5986}}}
	qs := newQuestions(a, &answers.Secrets{})
	for _, q := range qs {
		switch q.key {
		case "masters":
			*q.value = "node1.contoso.com, node2.contoso.com, node3.contoso.com"
		case "workers":
			*q.value = "worker1.contoso.com"
		case "workers.account":
			*q.value = "CONTOSO\\svc_worker"
		}
	}
	if err := applyQuestions(qs, a, nil); err != nil {
		t.Fatal(err)
	}
	wantM := []answers.Master{{Host: "node1.contoso.com", SQLInstance: "INST1"}, {Host: "node2.contoso.com", SQLInstance: "INST2"}, {Host: "node3.contoso.com"}}
	if !reflect.DeepEqual(a.Masters, wantM) {
		t.Errorf("masters = %+v, want %+v", a.Masters, wantM)
	}
	wantW := []answers.Worker{{Host: "worker1.contoso.com", Account: "CONTOSO\\svc_worker", WinRM: answers.Address{Port: 5986}}}
	if !reflect.DeepEqual(a.Workers, wantW) {
		t.Errorf("workers = %+v, want %+v", a.Workers, wantW)
	}

	for _, q := range qs {
		if q.key == "workers" {
			*q.value = ""
		}
	}
	if err := applyQuestions(qs, a, nil); err != nil {
		t.Fatal(err)
	}
	if a.Workers != nil {
		t.Errorf("workers = %+v after clearing the hosts, want none", a.Workers)
	}
}
