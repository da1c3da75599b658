package io.meshfed.knative;

import io.fabric8.knative.eventing.v1.SubscriptionsAPIFilter;
import io.fabric8.knative.eventing.v1alpha1.EventPolicy;
import io.fabric8.knative.eventing.v1alpha1.EventPolicyFromReference;
import io.fabric8.knative.eventing.v1alpha1.EventPolicySpecFrom;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What Knative Eventing's Broker ingress decides for a request, given the EventPolicies that apply to the Broker
 * (knative.dev/eventing v0.50.0, {@code pkg/auth/verifier.go} and {@code event_policy.go}): the token's subject is
 * looked up in the policies' resolved subjects, and the <em>first</em> policy naming it decides, by its filters
 * alone; a subject no policy names is refused (default-authorization-mode deny-all, or because policies apply).
 * Since the order of policies there is the lister's, {@link #policiesAdmitting} lets a test require that at most one
 * policy names any subject, which makes the answer independent of it.
 *
 * <p>{@code from.ref} resolves to the referenced object's OIDC ServiceAccount, named as Knative names it
 * ({@code pkg/auth/serviceaccount.go} over knative.dev/pkg {@code kmeta.ChildName}). Filters are evaluated for the
 * dialects meshfed uses (exact, prefix, suffix, all, any, not); a CESQL filter is refused, so every shipped policy
 * stays evaluable here.
 */
final class BrokerAuthorization {
    /** A request at the Broker ingress: who sent it (the token's subject) and the event's attributes. */
    record Request(String subject, Map<String, String> attributes) {
        static Request of(String subject, String type, String source) {
            return new Request(subject, Map.of("type", type, "source", source));
        }
    }

    private final List<EventPolicy> policies;
    private final String namespace;

    BrokerAuthorization(List<EventPolicy> policies, String namespace) {
        this.policies = List.copyOf(policies);
        this.namespace = namespace;
    }

    boolean admits(Request r) {
        List<EventPolicy> naming = policiesAdmitting(r.subject());
        return !naming.isEmpty() && naming.get(0).getSpec().getFilters().stream().allMatch(f -> passes(f, r));
    }

    /** The policies whose resolved subjects (or subject patterns) match {@code subject}. */
    List<EventPolicy> policiesAdmitting(String subject) {
        return policies.stream().filter(p -> subjects(p).stream().anyMatch(s -> matches(s, subject))).toList();
    }

    /** The subjects (system:serviceaccount:ns:name, or a pattern ending in '*') one policy names. */
    List<String> subjects(EventPolicy p) {
        List<String> out = new ArrayList<>();
        for (EventPolicySpecFrom from : p.getSpec().getFrom()) {
            if (from.getSub() != null) {
                out.add(from.getSub());
            } else {
                EventPolicyFromReference ref = from.getRef();
                String group = ref.getApiVersion().contains("/")
                        ? ref.getApiVersion().substring(0, ref.getApiVersion().indexOf('/')) : "";
                String ns = ref.getNamespace() != null ? ref.getNamespace() : namespace;
                out.add(serviceAccountSubject(ns, oidcServiceAccountName(group, ref.getKind(), ref.getName())));
            }
        }
        return out;
    }

    static String serviceAccountSubject(String ns, String name) {
        return "system:serviceaccount:" + ns + ":" + name;
    }

    /** Knative's {@code strings.EqualFold(s, sub)} or, for a pattern ending in '*', a prefix match. */
    static boolean matches(String allowed, String subject) {
        return allowed.endsWith("*") ? subject.startsWith(allowed.substring(0, allowed.length() - 1))
                : allowed.equalsIgnoreCase(subject);
    }

    /** Knative's {@code auth.GetOIDCServiceAccountNameForResource}: ChildName(name, -oidc-group-Kind), lower-cased. */
    static String oidcServiceAccountName(String group, String kind, String name) {
        return childName(name, "-oidc-" + group + "-" + kind).toLowerCase(Locale.ROOT);
    }

    /** knative.dev/pkg {@code kmeta.ChildName}: parent + suffix, hashed (MD5) to fit 63 characters. */
    static String childName(String parent, String suffix) {
        final int longest = 63;
        final int head = longest - 32;
        if (parent.length() <= longest - suffix.length()) {
            return parent + suffix;
        }
        if (head - suffix.length() <= 0) {
            String ret = (head < parent.length() ? parent.substring(0, head) : parent) + md5(parent + suffix);
            if (longest - ret.length() > 0) {
                ret += suffix.substring(0, longest - ret.length());
            }
            return ret.replaceAll("[^a-zA-Z0-9]+$", "");
        }
        return parent.substring(0, head - suffix.length()) + md5(parent) + suffix;
    }

    private static String md5(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** One SubscriptionsAPIFilter: exactly one dialect set, as Knative's validation requires. */
    static boolean passes(SubscriptionsAPIFilter f, Request r) {
        if (f.getCesql() != null) {
            throw new AssertionError("CESQL filters are not evaluated here; use exact/prefix/suffix/all/any/not");
        }
        if (f.getExact() != null && !f.getExact().isEmpty()) {
            return f.getExact().entrySet().stream().allMatch(e -> attribute(r, e.getKey())
                    .filter(v -> v.equals(e.getValue())).isPresent());
        }
        if (f.getPrefix() != null && !f.getPrefix().isEmpty()) {
            return f.getPrefix().entrySet().stream().allMatch(e -> attribute(r, e.getKey())
                    .filter(v -> v.startsWith(e.getValue())).isPresent());
        }
        if (f.getSuffix() != null && !f.getSuffix().isEmpty()) {
            return f.getSuffix().entrySet().stream().allMatch(e -> attribute(r, e.getKey())
                    .filter(v -> v.endsWith(e.getValue())).isPresent());
        }
        if (f.getAll() != null && !f.getAll().isEmpty()) {
            return f.getAll().stream().allMatch(g -> passes(g, r));
        }
        if (f.getAny() != null && !f.getAny().isEmpty()) {
            return f.getAny().stream().anyMatch(g -> passes(g, r));
        }
        if (f.getNot() != null) {
            return !passes(f.getNot(), r);
        }
        throw new AssertionError("a filter with no dialect: " + f);
    }

    private static Optional<String> attribute(Request r, String name) {
        return Optional.ofNullable(r.attributes().get(name));
    }
}
