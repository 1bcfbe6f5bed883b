; long long masm_add(long long a, long long b): Microsoft x64 calling convention
.code
masm_add PROC
    mov rax, rcx
    add rax, rdx
    ret
masm_add ENDP
END
