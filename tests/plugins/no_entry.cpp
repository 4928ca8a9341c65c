// A shared object that is not a results_exporter plugin: it has no entry symbol.
extern "C" int not_a_plugin(void) { return 42; }
