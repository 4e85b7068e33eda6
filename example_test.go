package pluv_test

import (
	"context"
	"encoding/json"
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
