package main

import (
	"embed"
	"io/fs"
)

// assetsFS holds the committed Vite build of web/ ("all:" keeps files whose
// hashed names start with "_" or ".").
//
//go:embed all:assets
var assetsFS embed.FS

// webAssets returns the built single-page app rooted at its index.html.
func webAssets() fs.FS {
	sub, err := fs.Sub(assetsFS, "assets")
	if err != nil {
		panic(err) // unreachable: "assets" is a literal embedded directory
	}
	return sub
}
