//! The definitions as a program: `synth`, `check`, `envs`, `graph` and `diff` without the cloud, and
//! what the `slipway` engine runs when it needs a fresh synthesis (`cargo run -p webapp -- synth`).

fn main() -> std::process::ExitCode {
    slipway::app::main(webapp::project())
}
