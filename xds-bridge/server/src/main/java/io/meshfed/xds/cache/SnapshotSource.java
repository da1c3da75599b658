package io.meshfed.xds.cache;

import com.google.protobuf.Message;
import java.util.Map;
import java.util.Set;

/**
 * One generation of the federation as the cache consumes it: which clusters are registered, and the resources of
 * any node group. {@link #resources} must be pure (same group, same answer) and safe to call from any thread.
 */
public interface SnapshotSource {
    Set<String> clusters();

    /** Resources by {@link TypeUrls#key type key}, then by resource name. */
    Map<String, Map<String, Message>> resources(NodeGroup group);
}
