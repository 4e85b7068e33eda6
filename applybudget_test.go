package pluv

import (
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"
)

// manyClientsUpdate is an update in which each of n clients inserts one letter at the
// start of root text "t": a few bytes of wire per struct, the shape that costs Apply
// the most memory per byte.
func manyClientsUpdate(n int) []byte {
	b := binary.AppendUvarint(nil, uint64(n))
	for i := range n {
		b = append(b, 1) // one struct
		b = binary.AppendUvarint(b, uint64(1000+i))
		b = append(b, 0, 4, 1, 1, 't', 1, 'a') // clock 0, string item under root "t"
	}
	return append(b, 0) // empty delete set
}

// TestApplyBudget: an update whose structs could take more memory to apply than the
// whole max_bytes_in_flight gets `$error` and changes nothing; a smaller one passes,
// and the budget is whole again afterwards.
func TestApplyBudget(t *testing.T) {
	srv, base := startServer(t, Config{MaxStorageSize: 4096, MaxBytesInFlight: 300_000})
	a := dial(t, base, "r", "")
	a.join(nil, nil)
	b := dial(t, base, "r", "")
	b.join(nil, nil)
	a.expect(msgUserJoined)

	big := manyClientsUpdate(200) // 200 × 3400 bytes > 300,000
	a.send(msgUpdateStorage, map[string]any{"update": base64.StdEncoding.EncodeToString(big)})
	f := a.expect(msgError)
	if !strings.Contains(f.raw, "update too complex to apply: 200 structs") {
		t.Fatalf("error %s", f.raw)
	}

	small := manyClientsUpdate(20)
	a.send(msgUpdateStorage, map[string]any{"update": base64.StdEncoding.EncodeToString(small)})
	if u := b.expect(msgStorageUpdated); !strings.Contains(u.raw, "state") {
		t.Fatalf("delta %s", u.raw)
	}
	rm, err := srv.GetRoom("r")
	if err != nil {
		t.Fatal(err)
	}
	if n := rm.Size(); n != 2 {
		t.Fatalf("%d sessions after the refusal", n)
	}
	eventually(t, "budget released", func() bool {
		return srv.settings().budget.used.Load() == 0
	})
}
