package main

import (
	"fmt"
	"strconv"
	"unicode/utf16"
)

// The configuration's JSON, read as strictly as the Java SDK's Json does and with the same messages:
// duplicate keys, control characters in strings, unpaired surrogate escapes and trailing data are errors,
// numbers are float64 (1e400 is +Inf), nesting is at most 32 deep. Offsets count UTF-16 units, as in Java.

// jsonNull is the JSON null literal.
type jsonNull struct{}

type jsonObject struct {
	keys   []string
	values map[string]any
}

type jsonParser struct {
	text []uint16
	pos  int
}

const maxJSONDepth = 32

// parseJSON parses text (valid UTF-8) into jsonObject, []any, string, float64, bool or jsonNull.
func parseJSON(text string) (v any, err error) {
	p := &jsonParser{text: utf16.Encode([]rune(text))}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(configError)
			if !ok {
				panic(r)
			}
			err = e
		}
	}()
	p.ws()
	v = p.value(0)
	p.ws()
	if p.pos != len(p.text) {
		p.fail("unexpected trailing data")
	}
	return v, nil
}

func (p *jsonParser) fail(message string) {
	panic(configError(fmt.Sprintf("invalid JSON at offset %d: %s", p.pos, message)))
}

func (p *jsonParser) value(depth int) any {
	if depth > maxJSONDepth {
		p.fail(fmt.Sprintf("nesting deeper than %d", maxJSONDepth))
	}
	if p.pos >= len(p.text) {
		p.fail("unexpected end of input")
	}
	switch c := p.text[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		return p.string()
	case c == 't':
		return p.literal("true", true)
	case c == 'f':
		return p.literal("false", false)
	case c == 'n':
		return p.literal("null", jsonNull{})
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	default:
		p.fail("unexpected character '" + string(utf16.Decode([]uint16{c})) + "'")
		return nil
	}
}

func (p *jsonParser) object(depth int) jsonObject {
	p.pos++
	out := jsonObject{values: map[string]any{}}
	p.ws()
	if p.peek() == '}' {
		p.pos++
		return out
	}
	for {
		p.ws()
		if p.peek() != '"' {
			p.fail("expected a quoted key")
		}
		key := p.string()
		p.ws()
		p.expect(':')
		p.ws()
		if _, dup := out.values[key]; dup {
			p.fail(`duplicate key "` + key + `"`)
		}
		out.keys = append(out.keys, key)
		out.values[key] = p.value(depth + 1)
		p.ws()
		switch p.next() {
		case '}':
			return out
		case ',':
		default:
			p.fail("expected ',' or '}'")
		}
	}
}

func (p *jsonParser) array(depth int) []any {
	p.pos++
	out := []any{}
	p.ws()
	if p.peek() == ']' {
		p.pos++
		return out
	}
	for {
		p.ws()
		out = append(out, p.value(depth+1))
		p.ws()
		switch p.next() {
		case ']':
			return out
		case ',':
		default:
			p.fail("expected ',' or ']'")
		}
	}
}

func (p *jsonParser) string() string {
	p.pos++
	var sb []uint16
	for {
		c := p.next()
		if c == '"' {
			p.requirePairedSurrogates(sb)
			return string(utf16.Decode(sb))
		}
		if c < 0x20 {
			p.fail("control character in string")
		}
		if c != '\\' {
			sb = append(sb, c)
			continue
		}
		switch e := p.next(); e {
		case '"', '\\', '/':
			sb = append(sb, e)
		case 'b':
			sb = append(sb, '\b')
		case 'f':
			sb = append(sb, '\f')
		case 'n':
			sb = append(sb, '\n')
		case 'r':
			sb = append(sb, '\r')
		case 't':
			sb = append(sb, '\t')
		case 'u':
			if p.pos+4 > len(p.text) {
				p.fail(`truncated \u escape`)
			}
			cp := uint16(0)
			for i := 0; i < 4; i++ {
				d := hexDigit(p.text[p.pos])
				p.pos++
				if d < 0 {
					p.fail(`bad \u escape`)
				}
				cp = cp*16 + uint16(d)
			}
			sb = append(sb, cp)
		default:
			p.fail(`bad escape \` + string(utf16.Decode([]uint16{e})))
		}
	}
}

func (p *jsonParser) requirePairedSurrogates(sb []uint16) {
	for i := 0; i < len(sb); i++ {
		c := sb[i]
		if c >= 0xD800 && c <= 0xDBFF && i+1 < len(sb) && sb[i+1] >= 0xDC00 && sb[i+1] <= 0xDFFF {
			i++
		} else if c >= 0xD800 && c <= 0xDFFF {
			p.fail(`unpaired surrogate \u` + strconv.FormatInt(int64(c), 16) + " in a string")
		}
	}
}

func (p *jsonParser) number() float64 {
	start := p.pos
	if p.peek() == '-' {
		p.pos++
	}
	if p.peek() == '0' {
		p.pos++
	} else if isDigit(p.peek()) {
		p.digits()
	} else {
		p.fail("bad number")
	}
	if p.peek() == '.' {
		p.pos++
		if !isDigit(p.peek()) {
			p.fail("bad number: digit expected after '.'")
		}
		p.digits()
	}
	if p.peek() == 'e' || p.peek() == 'E' {
		p.pos++
		if p.peek() == '+' || p.peek() == '-' {
			p.pos++
		}
		if !isDigit(p.peek()) {
			p.fail("bad number: digit expected in exponent")
		}
		p.digits()
	}
	// The grammar above is JSON's; ParseFloat reads it exactly and answers ±Inf past float64's range.
	v, _ := strconv.ParseFloat(string(utf16.Decode(p.text[start:p.pos])), 64)
	return v
}

func hexDigit(c uint16) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func (p *jsonParser) digits() {
	for isDigit(p.peek()) {
		p.pos++
	}
}

func isDigit(c uint16) bool {
	return c >= '0' && c <= '9'
}

func (p *jsonParser) literal(word string, v any) any {
	for i := 0; i < len(word); i++ {
		if p.pos+i >= len(p.text) || p.text[p.pos+i] != uint16(word[i]) {
			p.fail("unexpected token")
		}
	}
	p.pos += len(word)
	return v
}

func (p *jsonParser) ws() {
	for p.pos < len(p.text) {
		switch p.text[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) peek() uint16 {
	if p.pos < len(p.text) {
		return p.text[p.pos]
	}
	return 0
}

func (p *jsonParser) next() uint16 {
	if p.pos >= len(p.text) {
		p.fail("unexpected end of input")
	}
	c := p.text[p.pos]
	p.pos++
	return c
}

func (p *jsonParser) expect(c uint16) {
	if p.next() != c {
		p.fail("expected '" + string(rune(c)) + "'")
	}
}
