"""Each system's demo target in the native demo, one module per system, named by the registry's
`demo_config` ("lookout.demo.targets.nectar:start"). `start(stack)` starts what stands in for the
application, and the servers it needs, through the stack (`lookout.demo.native.NativeStack`),
and returns the exporter's configuration (a dict, written to YAML). What the stack offers:

    stack.profile, stack.dir, stack.notes, stack.sims      (target name -> base URL)
    stack.on_stop(name, fn)                                 (called in reverse order at exit)
    stack.simulator(target, module, args) -> base URL       (`python -m module --listen ...`)
    stack.mariadb() -> MariaDB, stack.postgres() -> DSN file, stack.docker() -> engine or None
"""
