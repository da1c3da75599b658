package io.meshfed.xds.cache;

import com.google.protobuf.Message;
import java.util.Map;
import java.util.Set;

/**
 * One generation of the federation as the cache consumes it: which clusters are registered, and the resources of
 * any node group. {@link #resources} and {@link #changesSince} must be pure (same group, same answer) and safe to
 * call from any thread.
 */
public interface SnapshotSource {
    Set<String> clusters();

    /** Resources by {@link TypeUrls#key type key}, then by resource name. */
    Map<String, Map<String, Message>> resources(NodeGroup group);

    /**
     * A node group's resources as changes to what {@code previous} gave it: applying them to
     * {@code previous.resources(group)} must give exactly {@code resources(group)}. Null when the source cannot
     * tell (the cache then asks for {@link #resources} whole). The default always answers null.
     */
    default Changes changesSince(SnapshotSource previous, NodeGroup group) {
        return null;
    }

    /**
     * Per type key: resources to add or replace by name, and names to remove. Types in neither map are unchanged.
     */
    record Changes(Map<String, Map<String, Message>> put, Map<String, Set<String>> removed) {
        public Changes {
            put = Map.copyOf(put);
            removed = Map.copyOf(removed);
        }
    }
}
