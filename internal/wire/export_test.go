package wire

// Update is the -update flag, for the external tests (package wire_test).
var Update = update
