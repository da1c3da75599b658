package io.meshfed.export;

import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.MeshCluster;

/**
 * Reads what a workload cluster exports from its own API server. The only remote I/O of the export function.
 * Implementations are thread-safe and bound every call by a timeout.
 */
public interface WorkloadClusterReader {

    /**
     * @param cluster a registered cluster with API access ({@link MeshCluster#hasApiAccess()})
     * @param credentials the credentials stored for it at registration; never logged
     * @throws RemoteReadException when the API server cannot be read completely; a partial read is never returned
     */
    WorkloadState read(MeshCluster cluster, ClusterCredentials credentials) throws RemoteReadException;
}
