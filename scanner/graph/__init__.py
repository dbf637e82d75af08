"""The graph, a pure function of the snapshot: the vocabulary of node and edge kinds
(``schema``), the builder, which route tables route a subnet's traffic (``route_tables``) and
the rotation network path's concepts over graph nodes (``network_path``)."""
