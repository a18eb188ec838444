//! The `corrcause` binary; everything lives in the library's `cli` module.

fn main() {
    std::process::exit(corrcause::cli::main());
}
