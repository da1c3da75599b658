package io.meshfed.xds.cache;

import com.google.protobuf.Message;
import java.util.Map;
import java.util.Set;

/**
 * One generation of the federation as the cache consumes it: which clusters are registered, which node group
 * serves a client, and the resources of any node group. {@link #groupFor}, {@link #resources} and
 * {@link #changesSince} must be pure (same group, same answer) and safe to call from any thread.
 */
public interface SnapshotSource {
    Set<String> clusters();

    /**
     * The node group that serves a client asking as {@code requested} in this generation: one whose resources are
     * exactly {@code requested}'s. A source whose resources depend on a client-written field (an Envoy node's
     * locality) only through what it knows maps every value of that field onto a set of groups bounded by its own
     * data, so clients cannot multiply groups. Applying it to its own answer gives that answer. The default keeps
     * every group.
     */
    default NodeGroup groupFor(NodeGroup requested) {
        return requested;
    }

    /**
     * The node groups a replica keeps built before any client asks for them when it is told to stand by
     * ({@link SnapshotCache#standBy}): those the clients this generation knows of will ask for, so a replica that
     * takes over another's clients has their configuration ready. The default names none.
     */
    default Set<NodeGroup> standbyGroups() {
        return Set.of();
    }

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
