package xinetdconf

// IsXinetd reports whether src looks like xinetd.conf text: some line,
// comments and white space aside, is "defaults" (with or without "{"),
// "service NAME" (with or without "{"), "include FILE" or "includedir
// DIR". An inetd.conf line has six or more fields, so none of these can
// be mistaken for one.
func IsXinetd(src []byte) bool {
	for _, l := range lex("", src) {
		w := l.words
		switch w[0] {
		case "defaults":
			if len(w) == 1 || (len(w) == 2 && w[1] == "{") {
				return true
			}
		case "service":
			if (len(w) == 2 && w[1] != "{") || (len(w) == 3 && w[2] == "{") {
				return true
			}
		case "include", "includedir":
			if len(w) == 2 {
				return true
			}
		}
	}
	return false
}
