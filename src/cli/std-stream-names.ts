/** This process's stdout named as a file: `/dev/stdout`, `/dev/fd/1`, `/proc/self/fd/1`. */
export const STDOUT_NAMES = /^\/(dev\/(stdout|fd\/1)|proc\/self\/fd\/1)$/;

/** This process's stderr named as a file: `/dev/stderr`, `/dev/fd/2`, `/proc/self/fd/2`. */
export const STDERR_NAMES = /^\/(dev\/(stderr|fd\/2)|proc\/self\/fd\/2)$/;
