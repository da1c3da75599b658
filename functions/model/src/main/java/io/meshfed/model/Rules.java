package io.meshfed.model;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The field rules of meshfed's specs. Each returns the problem, or empty when the value is fine, so that
 * constructors (which throw) and request validation (which collects) share one definition of "valid".
 */
public final class Rules {
    /** RFC 1123 label, as Kubernetes names: lower-case alphanumerics and '-', 1..63, alphanumeric at both ends. */
    private static final Pattern DNS1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    /** Case-insensitive DNS host name label for addresses (gateway host names may carry upper case). */
    private static final Pattern HOST_LABEL = Pattern.compile("(?i)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    /** Cloud region/zone names: "us-east1", "eu-west-1a", "europe-west4-b"; Kubernetes label-value shaped. */
    private static final Pattern LOCALITY_PART = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");
    private static final Pattern IPV4 = Pattern.compile(
            "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+");

    private Rules() {
    }

    public static Optional<String> required(Object value) {
        if (value == null || (value instanceof String s && s.isBlank())) {
            return Optional.of("is required");
        }
        return Optional.empty();
    }

    public static Optional<String> dns1123Label(String value) {
        if (value == null || value.isBlank()) {
            return Optional.of("is required");
        }
        if (value.length() > 63) {
            return Optional.of("must be at most 63 characters (DNS-1123 label), got " + value.length());
        }
        if (!DNS1123_LABEL.matcher(value).matches()) {
            return Optional.of("must be a DNS-1123 label (lower-case letters, digits and '-', starting and ending"
                    + " with a letter or digit), got '" + value + "'");
        }
        return Optional.empty();
    }

    /** A Kubernetes object name (RFC 1123 subdomain: lower case, at most 253 characters). */
    public static Optional<String> dns1123Subdomain(String value) {
        if (value == null || value.isBlank()) {
            return Optional.of("is required");
        }
        if (value.length() > 253) {
            return Optional.of("must be at most 253 characters, got " + value.length());
        }
        for (String label : value.split("\\.", -1)) {
            if (!DNS1123_LABEL.matcher(label).matches()) {
                return Optional.of("must be a DNS-1123 subdomain (lower-case dot-separated labels), got '" + value
                        + "'");
            }
        }
        return Optional.empty();
    }

    /** A DNS name (RFC 1123 subdomain, case-insensitive), at most 253 characters. */
    public static Optional<String> dnsName(String value) {
        if (value == null || value.isBlank()) {
            return Optional.of("is required");
        }
        if (value.length() > 253) {
            return Optional.of("must be at most 253 characters, got " + value.length());
        }
        for (String label : value.split("\\.", -1)) {
            if (!HOST_LABEL.matcher(label).matches()) {
                return Optional.of("must be a DNS name (dot-separated labels of letters, digits and '-'), got '"
                        + value + "'");
            }
        }
        return Optional.empty();
    }

    /** SPIFFE trust domain: a lower-case DNS name, no scheme, no port, no path (SPIFFE ID spec, section 2.1). */
    public static Optional<String> trustDomain(String value) {
        if (value == null || value.isBlank()) {
            return Optional.of("is required");
        }
        if (!value.equals(value.toLowerCase(java.util.Locale.ROOT))) {
            return Optional.of("must be lower case (SPIFFE trust domain), got '" + value + "'");
        }
        if (value.contains("://") || value.contains("/") || value.contains(":")) {
            return Optional.of("must be a bare trust domain like 'east.example.org' (no scheme, port or path), got '"
                    + value + "'");
        }
        return dnsName(value).map(p -> "must be a SPIFFE trust domain: " + p);
    }

    public static Optional<String> localityPart(String value) {
        if (value == null || value.isBlank()) {
            return Optional.of("is required");
        }
        if (!LOCALITY_PART.matcher(value).matches()) {
            return Optional.of("must be 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or"
                    + " digit, got '" + value + "'");
        }
        return Optional.empty();
    }

    public static boolean isIpAddress(String value) {
        if (value == null) {
            return false;
        }
        if (IPV4.matcher(value).matches()) {
            return true;
        }
        if (value.indexOf(':') >= 0 && IPV6.matcher(value).matches()) {
            try {
                return java.net.InetAddress.getByName(value) instanceof java.net.Inet6Address;
            } catch (java.net.UnknownHostException e) {
                return false;
            }
        }
        return false;
    }

    /** An IPv4/IPv6 literal or a DNS name. Never resolves names. */
    public static Optional<String> ipOrDnsName(String value) {
        if (value == null || value.isBlank()) {
            return Optional.of("is required");
        }
        if (isIpAddress(value)) {
            return Optional.empty();
        }
        if (value.chars().allMatch(c -> Character.isDigit(c) || c == '.')) {
            return Optional.of("is neither a valid IP address nor a DNS name, got '" + value + "'");
        }
        return dnsName(value).map(p -> "must be an IP address or a DNS name, got '" + value + "'");
    }

    public static Optional<String> port(int value) {
        if (value < 1 || value > 65535) {
            return Optional.of("must be a port between 1 and 65535, got " + value);
        }
        return Optional.empty();
    }

    public static Optional<String> httpsUrl(String value) {
        if (value == null || value.isBlank()) {
            return Optional.of("is required");
        }
        try {
            URI uri = new URI(value);
            if (!"https".equalsIgnoreCase(uri.getScheme())) {
                return Optional.of("must be an https:// URL, got '" + value + "'");
            }
            if (uri.getHost() == null || uri.getHost().isBlank()) {
                return Optional.of("must name a host, got '" + value + "'");
            }
            return Optional.empty();
        } catch (URISyntaxException e) {
            return Optional.of("is not a valid URL: " + e.getReason());
        }
    }

    /** PEM text or base64 of PEM text (kubeconfig's certificate-authority-data form). */
    public static Optional<String> pemOrBase64Pem(String value, String what) {
        if (value == null || value.isBlank()) {
            return Optional.of("is required");
        }
        if (Pem.decodeText(value).contains("-----BEGIN " + what)) {
            return Optional.empty();
        }
        return Optional.of("must be a PEM " + what + " (plain or base64-encoded)");
    }
}
