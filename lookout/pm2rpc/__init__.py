"""PM2's daemon RPC socket (the axon/AMP wire format and one-call client), shared by the PM2
exporter (reads) and lookout-remediate (restarts): a shared layer, so neither reaches into
the other."""
from .client import DaemonDown, RpcClient

__all__ = ["DaemonDown", "RpcClient"]
