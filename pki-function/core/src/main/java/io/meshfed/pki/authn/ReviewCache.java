package io.meshfed.pki.authn;

import io.meshfed.model.MeshCluster;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Positive TokenReview answers, remembered until a deadline: which token (by SHA-256) was proven to be the CSR
 * agent's for which cluster registration. Keyed by the whole {@link MeshCluster} value, so a re-registration (another
 * API server, other credentials: the credentials Secret's name is content-addressed) forgets what the old one said.
 * Negative answers are never stored. At most {@code maxEntries} entries: when full, expired entries go first, and if
 * that is not enough, everything (the cost is one TokenReview per agent). Thread-safe.
 */
final class ReviewCache {
    private record Key(MeshCluster cluster, String tokenSha256) {
    }

    private final Map<Key, Instant> entries = new ConcurrentHashMap<>();
    private final int maxEntries;

    ReviewCache(int maxEntries) {
        this.maxEntries = maxEntries;
    }

    boolean holds(MeshCluster cluster, String tokenSha256, Instant now) {
        Key key = new Key(cluster, tokenSha256);
        Instant until = entries.get(key);
        if (until == null) {
            return false;
        }
        if (!now.isBefore(until)) {
            entries.remove(key, until);
            return false;
        }
        return true;
    }

    void remember(MeshCluster cluster, String tokenSha256, Instant now, Instant until) {
        if (entries.size() >= maxEntries) {
            entries.values().removeIf(deadline -> !now.isBefore(deadline));
            if (entries.size() >= maxEntries) {
                entries.clear();
            }
        }
        entries.put(new Key(cluster, tokenSha256), until);
    }

    int size() {
        return entries.size();
    }
}
