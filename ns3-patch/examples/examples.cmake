# The module's programs, one line each: ns3ts_add_example(<program name> <source>).
ns3ts_add_example(opengym-example examples/opengym-example.cc)
ns3ts_add_example(slicing-lte examples/slicing-lte.cc)
ns3ts_add_example(slicing-null examples/slicing-null.cc)
ns3ts_add_example(slicing-ffr-check examples/slicing-ffr-check.cc)
ns3ts_add_example(sfc-ns3 examples/sfc-ns3.cc)
