package pluv_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/url"

	"github.com/gorilla/websocket"

	pluv "github.com/caddy-pluv/caddy-pluv"
)

// Example serves rooms from a plain net/http server on 127.0.0.1 and joins one with a
// token, as the browser client would.
func Example() {
	srv, err := pluv.NewServer(pluv.Config{
		Auth: &pluv.AuthConfig{Secret: "change-me"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close(context.Background())

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/pluv/room/{room}", func(w http.ResponseWriter, r *http.Request) {
		_ = srv.Handle(w, r, r.PathValue("room"))
	})
	hs := &http.Server{Handler: mux}
	go hs.Serve(ln)
	defer hs.Close()

	token, err := pluv.CreateToken("change-me", pluv.TokenOptions{
		Room: "my-room",
		User: map[string]string{"id": "ann", "name": "Ann"},
	})
	if err != nil {
		log.Fatal(err)
	}
	u := "ws://" + ln.Addr().String() + "/api/pluv/room/my-room?token=" +
		url.QueryEscape(token)
	ws, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer ws.Close()

	var registered struct {
		Type string          `json:"type"`
		User json.RawMessage `json:"user"`
	}
	if err := ws.ReadJSON(&registered); err != nil {
		log.Fatal(err)
	}
	fmt.Println(registered.Type, string(registered.User))
	// Output: $registered {"id":"ann","name":"Ann"}
}

// ExampleRoom defines an event in Go, then uses a room from the server side: its size,
// a broadcast to every session, its storage as JSON, and an eviction.
func ExampleRoom() {
	srv, err := pluv.NewServer(pluv.Config{
		// What the app's Y.Doc declares: doc.getText("text"), doc.getArray("list").
		StorageRoots: map[string]string{"text": "text", "list": "array"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close(context.Background())

	// The seed's io.event: validated input, a resolver, outputs by name.
	err = srv.Event("ROLL", pluv.Event{
		InputSchema: json.RawMessage(`{"type":"object","properties":{` +
			`"sides":{"type":"integer","minimum":2}},"required":["sides"]}`),
		Kind: pluv.KindSelf,
		Resolver: func(_ context.Context, in pluv.EventInput) (map[string]any, error) {
			var roll struct{ Sides int }
			if err := json.Unmarshal(in.Data, &roll); err != nil {
				return nil, err
			}
			return map[string]any{"ROLLED": map[string]int{"max": roll.Sides}}, nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	hs := &http.Server{Handler: srv} // rooms from ?room=
	go hs.Serve(ln)
	defer hs.Close()

	u := "ws://" + ln.Addr().String() + "/?room=lobby"
	ann, bob := dialRoom(u), dialRoom(u)
	defer ann.Close()
	defer bob.Close()

	room, err := srv.GetRoom("lobby")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(room.ID(), room.Size())

	_ = ann.WriteJSON(map[string]any{"type": "ROLL", "data": map[string]int{"sides": 6}})
	fmt.Println(readType(ann, "ROLLED"))

	// Ann's client seeds the room's storage with a Yjs update (made by yjs: the text
	// "hello" and the array ["milk", 2]); the server reads the document as JSON.
	_ = ann.WriteJSON(map[string]any{"type": "$initializeSession", "data": map[string]any{
		"update": "AQIBAAQBBHRleHQFaGVsbG8IAQRsaXN0AncEbWlsa30CAA==",
	}})
	readType(ann, "$storageReceived")
	storage, err := room.StorageJSON()
	if err != nil {
		log.Fatal(err)
	}
	doc, _ := json.Marshal(storage)
	fmt.Println(string(doc))

	_ = room.Broadcast("ANNOUNCE", map[string]string{"text": "closing soon"})
	fmt.Println(readType(bob, "ANNOUNCE"))

	room.Evict(sessionOf(bob))
	_, _, err = bob.ReadMessage()
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		fmt.Println("bob closed with", ce.Code)
	}
	fmt.Println(room.Size())
	// Output:
	// lobby 2
	// {"max":6}
	// {"list":["milk",2],"text":"hello"}
	// {"text":"closing soon"}
	// bob closed with 4000
	// 1
}

// dialRoom joins a room as the pluv client does and returns once registered.
func dialRoom(u string) *websocket.Conn {
	ws, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		log.Fatal(err)
	}
	readType(ws, "$registered")
	return ws
}

// sessionOf is the session id the server gave ws, learnt from a `$pong`.
func sessionOf(ws *websocket.Conn) string {
	_ = ws.WriteJSON(map[string]any{"type": "$ping", "data": map[string]any{}})
	var f struct {
		ConnectionID string `json:"connectionId"`
	}
	_ = json.Unmarshal([]byte(readFrame(ws, "$pong")), &f)
	return f.ConnectionID
}

// readType reads frames until one of type typ and returns its data.
func readType(ws *websocket.Conn, typ string) string {
	var f struct {
		Data json.RawMessage `json:"data"`
	}
	_ = json.Unmarshal([]byte(readFrame(ws, typ)), &f)
	return string(f.Data)
}

// readFrame reads frames until one of type typ and returns it whole.
func readFrame(ws *websocket.Conn, typ string) string {
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			log.Fatal(err)
		}
		var f struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(b, &f) == nil && f.Type == typ {
			return string(b)
		}
	}
}
