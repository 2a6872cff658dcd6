"""The runtime: values, the VM and the built-in string and array methods."""
