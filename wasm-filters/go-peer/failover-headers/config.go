package main

import (
	"fmt"
	"unicode/utf8"
)

// configError is a rejected configuration; its text is what the log line names.
type configError string

func (e configError) Error() string { return string(e) }

// reader reads one JSON object of the configuration strictly, as the Java SDK's ConfigReader does: typed
// getters with defaults, every message names the key with its path, finish rejects unknown keys.
type reader struct {
	prefix string
	obj    jsonObject
	read   map[string]bool
}

func parseConfigObject(configuration []byte) *reader {
	if len(configuration) == 0 {
		panic(configError("configuration is empty (write {} for the defaults)"))
	}
	if i := firstMalformed(configuration); i >= 0 {
		panic(configError(fmt.Sprintf("configuration is not valid UTF-8 (byte %d)", i)))
	}
	root, err := parseJSON(string(configuration))
	if err != nil {
		panic(err)
	}
	obj, ok := root.(jsonObject)
	if !ok {
		panic(configError("configuration must be a JSON object"))
	}
	return &reader{obj: obj, read: map[string]bool{}}
}

// firstMalformed is the index of the first byte that does not start a well-formed UTF-8 sequence
// (overlong forms, surrogates and code points above U+10FFFF included), or -1.
func firstMalformed(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

func (r *reader) take(key string) any {
	r.read[key] = true
	v, ok := r.obj.values[key]
	if !ok {
		return nil
	}
	if _, isNull := v.(jsonNull); isNull {
		return nil
	}
	return v
}

func (r *reader) wrong(key, expected string) {
	panic(configError(r.prefix + key + ": must be " + expected))
}

// str is the string at key, or def (present reports whether there was one).
func (r *reader) str(key string, def string) (value string, present bool) {
	v := r.take(key)
	if v == nil {
		return def, false
	}
	s, ok := v.(string)
	if !ok {
		r.wrong(key, "a string")
	}
	return s, true
}

func (r *reader) headerName(key, def string) string {
	v, _ := r.str(key, def)
	if v == "" {
		panic(configError(r.prefix + key + ": header name must not be empty"))
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.') {
			panic(configError(r.prefix + key + `: "` + v + `" is not a lower-case header name`))
		}
	}
	return v
}

func (r *reader) strings(key string, def []string) []string {
	v := r.take(key)
	if v == nil {
		return def
	}
	list, ok := v.([]any)
	if !ok {
		r.wrong(key, "an array of strings")
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			r.wrong(key, "an array of strings")
		}
		out = append(out, s)
	}
	return out
}

func (r *reader) object(key string) *reader {
	v := r.take(key)
	if v == nil {
		return &reader{prefix: r.prefix + key + ".", obj: jsonObject{values: map[string]any{}}, read: map[string]bool{}}
	}
	obj, ok := v.(jsonObject)
	if !ok {
		r.wrong(key, "an object")
	}
	return &reader{prefix: r.prefix + key + ".", obj: obj, read: map[string]bool{}}
}

func (r *reader) finish() {
	for _, key := range r.obj.keys {
		if !r.read[key] {
			panic(configError(r.prefix + key + ": unknown key"))
		}
	}
}

// config is failover-headers' validated configuration; see docs/wasm-filters.md for each key. The same
// keys, defaults and rules as the Java filter's FailoverHeadersConfig.
type config struct {
	localCluster, localLocality        string
	hasLocalCluster, hasLocalLocality  bool
	callerClusterHeader, clusterHeader string
	localityHeader, failoverHeader     string
	attemptsHeader, attemptCountSource string
	clusterProperty, localityProperty  []string
	addressProperty                    []string
	addressMap                         map[string]upstream
}

type upstream struct {
	cluster, locality string
}

// parseConfig validates configuration; a configError says why it is refused.
func parseConfig(configuration []byte) (c *config, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(configError)
			if !ok {
				panic(r)
			}
			c, err = nil, e
		}
	}()
	r := parseConfigObject(configuration)
	c = &config{}
	c.localCluster, c.hasLocalCluster = r.str("localCluster", "")
	headerValue("localCluster", c.localCluster)
	c.localLocality, c.hasLocalLocality = r.str("localLocality", "")
	headerValue("localLocality", c.localLocality)
	c.callerClusterHeader = r.headerName("callerClusterHeader", "x-meshfed-caller-cluster")
	c.clusterHeader = r.headerName("clusterHeader", "x-meshfed-upstream-cluster")
	c.localityHeader = r.headerName("localityHeader", "x-meshfed-upstream-locality")
	c.failoverHeader = r.headerName("failoverHeader", "x-meshfed-failover")
	c.attemptsHeader = r.headerName("attemptsHeader", "x-meshfed-attempts")
	c.attemptCountSource = r.headerName("attemptCountSource", "x-envoy-attempt-count")
	c.clusterProperty = path(r, "clusterProperty", []string{"xds", "upstream_host_metadata", "filter_metadata", "meshfed", "cluster"})
	c.localityProperty = path(r, "localityProperty", []string{"xds", "upstream_host_metadata", "filter_metadata", "meshfed", "locality"})
	c.addressProperty = path(r, "addressProperty", []string{"upstream", "address"})
	c.addressMap = map[string]upstream{}
	m := r.object("addressMap")
	for _, address := range m.obj.keys {
		entry := m.object(address)
		cluster, _ := entry.str("cluster", "")
		locality, _ := entry.str("locality", "")
		if cluster == "" {
			panic(configError("addressMap." + address + ".cluster: required"))
		}
		headerValue("addressMap."+address+".cluster", cluster)
		headerValue("addressMap."+address+".locality", locality)
		entry.finish()
		c.addressMap[address] = upstream{cluster: cluster, locality: locality}
	}
	r.finish()
	return c, nil
}

// headerValue refuses a value that cannot go into a header as it is (control characters).
func headerValue(key, v string) {
	for _, c := range v {
		if c < 0x20 || c == 0x7F {
			panic(configError(key + ": control characters cannot go into a header"))
		}
	}
}

func path(r *reader, key string, def []string) []string {
	p := r.strings(key, def)
	if len(p) == 0 {
		panic(configError(key + ": property path must not be empty"))
	}
	return p
}
