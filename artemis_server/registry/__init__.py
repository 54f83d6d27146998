"""The registry core: instances, leases, change events, discovery filters. No web or database imports."""
